/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/crc32c.h - CRC-32C (Castagnoli), the record batch v2 checksum.
 *
 * Written here because Debian 12 ships no maintained CRC-32C library for C.
 * Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
 * run time), else a slicing-by-8 table.
 */
#ifndef SAMSA_CRC32C_H
#define SAMSA_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0 for a fresh checksum. */
uint32_t samsa_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* SAMSA_CRC32C_H */
