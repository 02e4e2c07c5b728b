// tlogpeer - an independent check of titlecert's register with Go's reference implementation of
// signed notes and tiled transparency logs (golang.org/x/mod/sumdb/note and .../tlog, built
// from Debian's golang-golang-x-mod-dev in GOPATH mode). Not titlecert code: a peer.
//
//	tlogpeer check DIR VKEY [PROOFS]
//	    opens DIR/checkpoint with VKEY (note.Open), reads the C2SP tiles in DIR through
//	    tlog.TileHashReader (which authenticates every tile against the checkpoint's root),
//	    proves every leaf of the entry bundles with tlog.ProveRecord/CheckRecord, proves
//	    consistency between 200 random sizes with tlog.ProveTree/CheckTree, and checks
//	    titlecert's own proofs in PROOFS (lines "inclusion I N LEAF_HASH ROOT_N P..." and
//	    "consistency M N ROOT_M ROOT_N P...", base64) with CheckRecord and CheckTree.
//	tlogpeer write DIR N
//	    writes a note signed by a fresh Go key over a checkpoint of a Go-built tree of N
//	    leaves, the vkey, and Go's proofs in the same line format, for titlecert to check.
//
// Exit status 0 when every check passed; it prints what it checked.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	mrand "math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogpeer: "+format+"\n", a...)
	os.Exit(1)
}

// C2SP tlog-tiles paths: tile/<L>/<N>[.p/<W>], tile/entries/<N>[.p/<W>]
func indexPath(n int64) string {
	s := fmt.Sprintf("%03d", n%1000)
	for n >= 1000 {
		n /= 1000
		s = fmt.Sprintf("x%03d/%s", n%1000, s)
	}
	return s
}

func tilePath(t tlog.Tile) string {
	p := "tile/" + strconv.Itoa(t.L) + "/" + indexPath(t.N)
	if t.L == -1 {
		p = "tile/entries/" + indexPath(t.N)
	}
	if t.W != 1<<uint(t.H) {
		p += ".p/" + strconv.Itoa(t.W)
	}
	return p
}

type dirTiles struct{ dir string }

func (d dirTiles) Height() int { return 8 }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, tilePath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (d dirTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// the C2SP checkpoint body: origin, size, base64 root, optional extension lines
func parseCheckpoint(text string) (string, tlog.Tree) {
	lines := strings.Split(text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		fail("checkpoint: not origin, size and root lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		fail("checkpoint: bad size %q", lines[1])
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint: bad root %q", lines[2])
	}
	return lines[0], tlog.Tree{N: n, Hash: h}
}

func entries(dir string, n int64) [][]byte {
	var leaves [][]byte
	for b := int64(0); b*256 < n; b++ {
		w := n - b*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: b, W: int(w)}
		data, err := os.ReadFile(filepath.Join(dir, tilePath(t)))
		if err != nil {
			fail("%v", err)
		}
		for k := 0; k < int(w); k++ {
			if len(data) < 2 {
				fail("%s: short entry bundle", tilePath(t))
			}
			l := int(binary.BigEndian.Uint16(data))
			if len(data) < 2+l {
				fail("%s: short entry", tilePath(t))
			}
			leaves = append(leaves, data[2:2+l])
			data = data[2+l:]
		}
		if len(data) != 0 {
			fail("%s: bytes after %d entries", tilePath(t), w)
		}
	}
	return leaves
}

func hashes(fields []string) []tlog.Hash {
	var out []tlog.Hash
	for _, f := range fields {
		h, err := tlog.ParseHash(f)
		if err != nil {
			fail("bad hash %q", f)
		}
		out = append(out, h)
	}
	return out
}

func check(dir, vkey, proofs string) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note.Open of the checkpoint: %v", err)
	}
	origin, tree := parseCheckpoint(n.Text)
	fmt.Printf("note.Open: checkpoint of %s, %d entries, signed by %s\n", origin, tree.N, n.Sigs[0].Name)
	thr := tlog.TileHashReader(tree, dirTiles{dir})
	if root, err := tlog.TreeHash(tree.N, thr); err != nil || root != tree.Hash {
		fail("tlog.TreeHash over the tiles: %v (%v)", root, err)
	}
	leaves := entries(dir, tree.N)
	for i, l := range leaves {
		p, err := tlog.ProveRecord(tree.N, int64(i), thr)
		if err != nil {
			fail("ProveRecord(%d): %v", i, err)
		}
		if err := tlog.CheckRecord(p, tree.N, tree.Hash, int64(i), tlog.RecordHash(l)); err != nil {
			fail("CheckRecord(%d): %v", i, err)
		}
	}
	fmt.Printf("tlog: the tiles authenticate against the root; all %d entries proved and checked\n", len(leaves))
	r := mrand.New(mrand.NewSource(1))
	pairs := 0
	for k := 0; k < 200 && tree.N > 1; k++ {
		m := 1 + r.Int63n(tree.N)
		hm, err := tlog.TreeHash(m, thr)
		if err != nil {
			fail("TreeHash(%d): %v", m, err)
		}
		p, err := tlog.ProveTree(tree.N, m, thr)
		if err != nil {
			fail("ProveTree(%d, %d): %v", tree.N, m, err)
		}
		if err := tlog.CheckTree(p, tree.N, tree.Hash, m, hm); err != nil {
			fail("CheckTree(%d -> %d): %v", m, tree.N, err)
		}
		pairs++
	}
	fmt.Printf("tlog: %d consistency proofs from random sizes to %d checked\n", pairs, tree.N)
	if proofs == "" {
		return
	}
	f, err := os.Open(proofs)
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	inc, con := 0, 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 4 {
			continue
		}
		a, _ := strconv.ParseInt(w[1], 10, 64)
		b, _ := strconv.ParseInt(w[2], 10, 64)
		switch w[0] {
		case "inclusion":
			h, given := hashes(w[3:4])[0], hashes(w[4:5])[0]
			root, err := tlog.TreeHash(b, thr)
			if err != nil || root != given {
				fail("TreeHash(%d): %v, or titlecert's root of that size differs", b, err)
			}
			if err := tlog.CheckRecord(tlog.RecordProof(hashes(w[5:])), b, root, a, h); err != nil {
				fail("titlecert's inclusion proof of %d in %d: %v", a, b, err)
			}
			inc++
		case "consistency":
			rm, rn := hashes(w[3:4])[0], hashes(w[4:5])[0]
			if h, _ := tlog.TreeHash(a, thr); h != rm {
				fail("titlecert's root of size %d differs from Go's", a)
			}
			if h, _ := tlog.TreeHash(b, thr); h != rn {
				fail("titlecert's root of size %d differs from Go's", b)
			}
			if err := tlog.CheckTree(tlog.TreeProof(hashes(w[5:])), b, rn, a, rm); err != nil {
				fail("titlecert's consistency proof %d -> %d: %v", a, b, err)
			}
			con++
		}
	}
	fmt.Printf("tlog: titlecert's %d inclusion and %d consistency proofs pass CheckRecord and CheckTree\n", inc, con)
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func write(dir string, n int64) {
	if err := os.MkdirAll(dir, 0755); err != nil {
		fail("%v", err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/peer-log")
	if err != nil {
		fail("%v", err)
	}
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i := int64(0); i < n; i++ {
		leaf := sha256.Sum256([]byte(fmt.Sprintf("go leaf %d", i)))
		hs, err := tlog.StoredHashes(i, leaf[:7+i%20], hr)
		if err != nil {
			fail("%v", err)
		}
		stored = append(stored, hs...)
	}
	root, err := tlog.TreeHash(n, hr)
	if err != nil {
		fail("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("%v", err)
	}
	text := fmt.Sprintf("go.example/peer-log\n%d\n%s\n", n, b64(root))
	msg, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fail("%v", err)
	}
	var out bytes.Buffer
	r := mrand.New(mrand.NewSource(2))
	for k := 0; k < 300; k++ {
		size := 1 + r.Int63n(n)
		i := r.Int63n(size)
		leaf := sha256.Sum256([]byte(fmt.Sprintf("go leaf %d", i)))
		p, err := tlog.ProveRecord(size, i, hr)
		if err != nil {
			fail("%v", err)
		}
		rs, _ := tlog.TreeHash(size, hr)
		fmt.Fprintf(&out, "inclusion %d %d %s %s", i, size, b64(tlog.RecordHash(leaf[:7+i%20])), b64(rs))
		for _, h := range p {
			fmt.Fprintf(&out, " %s", b64(h))
		}
		out.WriteString("\n")
		m := 1 + r.Int63n(size)
		tp, err := tlog.ProveTree(size, m, hr)
		if err != nil {
			fail("%v", err)
		}
		hm, _ := tlog.TreeHash(m, hr)
		hn, _ := tlog.TreeHash(size, hr)
		fmt.Fprintf(&out, "consistency %d %d %s %s", m, size, b64(hm), b64(hn))
		for _, h := range tp {
			fmt.Fprintf(&out, " %s", b64(h))
		}
		out.WriteString("\n")
	}
	for name, data := range map[string][]byte{"checkpoint": msg, "vkey": []byte(vkey + "\n"), "proofs": out.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0644); err != nil {
			fail("%v", err)
		}
	}
	fmt.Printf("wrote a Go-signed checkpoint of %d leaves and 300 inclusion and 300 consistency proofs\n", n)
}

func main() {
	if len(os.Args) >= 4 && os.Args[1] == "check" {
		proofs := ""
		if len(os.Args) >= 5 {
			proofs = os.Args[4]
		}
		check(os.Args[2], os.Args[3], proofs)
		return
	}
	if len(os.Args) == 4 && os.Args[1] == "write" {
		n, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil || n < 1 {
			fail("write DIR N")
		}
		write(os.Args[2], n)
		return
	}
	fmt.Fprintln(os.Stderr, "usage: tlogpeer check DIR VKEY [PROOFS] | tlogpeer write DIR N")
	os.Exit(2)
}
