/*
 * qr_internal.h - what qr.c and its test share of the QR encoder, beside cert.h: the symbol of a
 * libqrencode input with the mask pattern chosen in qrmask.c.
 */
#ifndef TC_QR_INTERNAL_H
#define TC_QR_INTERNAL_H

#include <qrencode.h>
#include <stdbool.h>

/* The symbol QRcode_encodeInput(in) makes, to the byte (the same mask pattern chosen by the same
 * penalty score), with the 8 candidates scored on bit sets instead of a module at a time. Where
 * libqrencode does not export QRcode_encodeMask it is QRcode_encodeInput itself. Free with
 * QRcode_free; NULL (errno set) where QRcode_encodeInput would fail. */
QRcode *tc_qr_encode_input(QRinput *in);

/* Whether tc_qr_encode_input chooses the mask itself: libqrencode exports QRcode_encodeMask and
 * it made, on a known input, what QRcode_encodeInput makes. */
bool tc_qr_mask_fast(void);

/* The mask pattern (0..7) that symbol uses, read from its format information; -1 if unreadable.
 * For tests. */
int tc_qr_mask_of(const QRcode *code);

#endif
