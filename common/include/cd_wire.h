/*
 * cd_wire — checks the protobuf wire bytes of a message against its
 * descriptor before anything is decoded or stored, for what protobuf-c's
 * decoder lets through:
 *
 *  - string fields are checked over their full length: a NUL byte inside
 *    one (which protobuf-c's C strings would silently cut short, so that
 *    validation saw one value and the store kept another) and bytes that
 *    are not UTF-8 (proto3 requires it; other languages' decoders refuse
 *    such messages) are refused;
 *  - fields the descriptor does not know are refused: one rule for every
 *    request, so that what is stored is what this server understood and
 *    its own record reader (cd_rec) can read back; dropping them silently
 *    would lose what a newer client meant to store;
 *  - groups, field number 0, truncated fields and nesting deeper than
 *    CD_WIRE_DEPTH_MAX are refused.
 *
 * Messages name the field by its path in the message, as a client wrote
 * it: "cluster.indicators[2].name".
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef CD_WIRE_H
#define CD_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#define CD_WIRE_DEPTH_MAX 32

/* Checks buf[0..len) as a desc message. CD_OK, CD_EV_ENCODING (NUL or bad
 * UTF-8 in a string), CD_EV_UNKNOWN_FIELD, or CD_EINVAL (not a well-formed
 * message); err gets the message, and path (may be NULL; pathlen bytes)
 * the field path alone, for error details. */
int cd_wire_check(const ProtobufCMessageDescriptor *desc, const uint8_t *buf,
                  size_t len, char *path, size_t pathlen, char *err,
                  size_t errlen);

#endif
