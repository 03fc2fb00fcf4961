/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugins/common/crc32c.h - CRC-32C (Castagnoli), the record batch v2 checksum.
 *
 * ISA-L's crc32_iscsi (libisal), which picks its fastest version for the
 * CPU at run time: 3-6x the SSE4.2 crc32 instruction loop written here
 * before, from 1 KiB up (tests/bench/crc32c, README Performance).
 */
#ifndef SAMSA_CRC32C_H
#define SAMSA_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0 for a fresh checksum. */
uint32_t samsa_crc32c(uint32_t crc, const void *data, size_t len);

#endif /* SAMSA_CRC32C_H */
