#!/usr/bin/env python3
"""Writes a synthetic committee results CSV of N distinct people (valid GB 11643 ID numbers,
birth dates spread over 1960-1999) for load and crash tests, starting at person number OFFSET.
usage: gen_results.py N OFFSET EMPLOYER_USCC > results.csv"""
import datetime
import sys

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
M = '10X98765432'


def idno(k):
    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=k % 14600)
    seq = (k // 14600) % 1000
    body = '620102%s%03d' % (birth.strftime('%Y%m%d'), seq)
    return body + M[sum(int(c) * w for c, w in zip(body, W)) % 11]


def main():
    n, offset, employer = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    out = sys.stdout
    out.write('name,id_number,series,specialty,level,track,method,eval_year,obtained,'
              'tenure_start,employer,committee,approval\n')
    for i in range(offset, offset + n):
        out.write('测试%d,%s,WS-YL,内科学,中级,basic,review,2026,2026-10-20,2026-11,%s,101,'
                  '测试〔2026〕%d号\n' % (i, idno(i), employer, i // 1000))


if __name__ == '__main__':
    main()
