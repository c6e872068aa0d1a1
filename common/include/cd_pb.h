/*
 * cd_pb — what protobuf-c's descriptors leave out: the size in memory of
 * one value of a field type, for walking repeated fields and comparing
 * decoded messages by reflection (the client's JSON, the store's audit
 * diff).
 *
 * Thread-safety: pure functions, safe from any thread.
 */
#ifndef CD_PB_H
#define CD_PB_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

/* Bytes one value of type t takes in a decoded message (one element of a
 * repeated field's array); 0 for a type protobuf-c does not have. */
size_t cd_pb_elem_size(ProtobufCType t);

#endif
