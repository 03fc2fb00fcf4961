/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/samsa.h - umbrella header: the whole plugin ABI.
 *
 * A plugin may include just the header of its kind (each pulls in
 * plugin.h, abi.h and errors.h); this one is for tools and SDK code that
 * handle every kind.
 */
#ifndef SAMSA_SAMSA_H
#define SAMSA_SAMSA_H

#include <samsa/abi.h>
#include <samsa/errors.h>
#include <samsa/plugin.h>
#include <samsa/storage.h>
#include <samsa/codec.h>
#include <samsa/partitioner.h>
#include <samsa/sasl.h>
#include <samsa/authorizer.h>
#include <samsa/transport.h>
#include <samsa/connect.h>

#endif /* SAMSA_SAMSA_H */
