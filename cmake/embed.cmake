# SPDX-License-Identifier: Apache-2.0
# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake
# Writes OUT defining `const unsigned char NAME[]` (the bytes of IN plus a
# NUL) and `const unsigned long NAME_len` (without the NUL): static assets
# compiled into samsad so the console works without files or network.
file(READ ${IN} _hex HEX)
string(LENGTH "${_hex}" _n)
math(EXPR _len "${_n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," _bytes "${_hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" _bytes "${_bytes}")
get_filename_component(_src ${IN} NAME)
file(WRITE ${OUT} "/* Generated from ${_src} by cmake/embed.cmake; do not edit. */\n"
  "const unsigned char ${NAME}[] = {\n${_bytes}0x00};\n"
  "const unsigned long ${NAME}_len = ${_len}UL;\n")
