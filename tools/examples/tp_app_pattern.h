/*
 * The test pattern the demo and the example programs put in every frame, derived from the frame's sequence
 * number alone, so a consumer can check every byte of a frame it never saw produced.
 *
 * Word i (8 bytes, native order) of frame seq is base(seq) + i * K; trailing bytes take the low bytes of the
 * next word. Filling and checking run at memory bandwidth (the loops vectorise).
 */
#ifndef TP_APP_PATTERN_H
#define TP_APP_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Write the pattern of frame seq into length bytes at dst. */
void tp_app_pattern_fill(uint8_t *dst, size_t length, uint64_t seq);

/* True when the length bytes at src hold exactly the pattern of frame seq. */
bool tp_app_pattern_verify(const uint8_t *src, size_t length, uint64_t seq);

/* A 64-bit checksum of length bytes (the sum of the words), and the value it must have for frame seq. */
uint64_t tp_app_pattern_checksum(const uint8_t *src, size_t length);
uint64_t tp_app_pattern_expected_checksum(size_t length, uint64_t seq);

#endif /* TP_APP_PATTERN_H */
