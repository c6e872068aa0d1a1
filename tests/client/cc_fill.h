/*
 * cc_fill — test helper: builds a message of any type with every field set
 * to a value other than its default, by descriptor reflection, so round
 * trips can prove that no field is lost.
 *
 * Thread-safety: pure, safe from any thread.
 */
#ifndef CC_FILL_H
#define CC_FILL_H

#include <protobuf-c/protobuf-c.h>

/* A new message (free with cc_msg_free). In a oneof, the member with
 * index oneof_pick (0-based, among that oneof's members) is set. */
ProtobufCMessage *cc_fill(const ProtobufCMessageDescriptor *d,
                          unsigned oneof_pick);

/* 1 when a and b pack to the same bytes. */
int cc_same(const ProtobufCMessage *a, const ProtobufCMessage *b);

#endif
