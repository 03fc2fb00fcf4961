/* SPDX-License-Identifier: Apache-2.0 */
/*
 * samsa/errors.h - the one error enum shared by samsad and plugins.
 *
 * Two fenced ranges:
 *   - Kafka protocol errors keep their wire numbers (-1 .. 32767), so a
 *     handler can put a samsa_err_t straight into a response's ErrorCode.
 *   - Samsa-internal conditions live at or below SAMSA_ERR_INTERNAL_BASE
 *     (-1000) and are never sent on the wire; the request pipeline maps them
 *     to a Kafka code (usually KAFKA_STORAGE_ERROR or UNKNOWN_SERVER_ERROR).
 *
 * Every value has a name and a string: services->err_str() (host side) or
 * samsa_err_name()/samsa_err_str() in samsad. Values never change; new ones
 * are only appended (see abi.h).
 */
#ifndef SAMSA_ERRORS_H
#define SAMSA_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * X(NAME, value, "description") for every Kafka error code Samsa knows, as
 * defined by Apache Kafka's org.apache.kafka.common.protocol.Errors.
 */
#define SAMSA_KAFKA_ERRORS(X)                                                  \
    X(UNKNOWN_SERVER_ERROR, -1, "unexpected server error")                     \
    X(NONE, 0, "success")                                                      \
    X(OFFSET_OUT_OF_RANGE, 1, "offset out of range")                           \
    X(CORRUPT_MESSAGE, 2, "message failed its CRC or is otherwise corrupt")    \
    X(UNKNOWN_TOPIC_OR_PARTITION, 3, "unknown topic or partition")             \
    X(INVALID_FETCH_SIZE, 4, "invalid fetch size")                             \
    X(LEADER_NOT_AVAILABLE, 5, "leader not available")                         \
    X(NOT_LEADER_OR_FOLLOWER, 6, "not the leader or follower")                 \
    X(REQUEST_TIMED_OUT, 7, "request timed out")                               \
    X(BROKER_NOT_AVAILABLE, 8, "broker not available")                         \
    X(REPLICA_NOT_AVAILABLE, 9, "replica not available")                       \
    X(MESSAGE_TOO_LARGE, 10, "message larger than the maximum allowed")        \
    X(STALE_CONTROLLER_EPOCH, 11, "stale controller epoch")                    \
    X(OFFSET_METADATA_TOO_LARGE, 12, "offset metadata too large")              \
    X(NETWORK_EXCEPTION, 13, "network error")                                  \
    X(COORDINATOR_LOAD_IN_PROGRESS, 14, "coordinator is loading")              \
    X(COORDINATOR_NOT_AVAILABLE, 15, "coordinator not available")              \
    X(NOT_COORDINATOR, 16, "not the coordinator")                              \
    X(INVALID_TOPIC_EXCEPTION, 17, "invalid topic name")                       \
    X(RECORD_LIST_TOO_LARGE, 18, "record batch larger than the segment size")  \
    X(NOT_ENOUGH_REPLICAS, 19, "not enough in-sync replicas")                  \
    X(NOT_ENOUGH_REPLICAS_AFTER_APPEND, 20,                                    \
      "written, but fewer in-sync replicas than required")                     \
    X(INVALID_REQUIRED_ACKS, 21, "invalid required acks")                      \
    X(ILLEGAL_GENERATION, 22, "illegal generation")                            \
    X(INCONSISTENT_GROUP_PROTOCOL, 23, "inconsistent group protocol")          \
    X(INVALID_GROUP_ID, 24, "invalid group id")                                \
    X(UNKNOWN_MEMBER_ID, 25, "unknown member id")                              \
    X(INVALID_SESSION_TIMEOUT, 26, "invalid session timeout")                  \
    X(REBALANCE_IN_PROGRESS, 27, "rebalance in progress")                      \
    X(INVALID_COMMIT_OFFSET_SIZE, 28, "invalid commit offset size")            \
    X(TOPIC_AUTHORIZATION_FAILED, 29, "topic authorization failed")            \
    X(GROUP_AUTHORIZATION_FAILED, 30, "group authorization failed")            \
    X(CLUSTER_AUTHORIZATION_FAILED, 31, "cluster authorization failed")        \
    X(INVALID_TIMESTAMP, 32, "invalid timestamp")                              \
    X(UNSUPPORTED_SASL_MECHANISM, 33, "unsupported SASL mechanism")            \
    X(ILLEGAL_SASL_STATE, 34, "illegal SASL state")                            \
    X(UNSUPPORTED_VERSION, 35, "unsupported API version")                      \
    X(TOPIC_ALREADY_EXISTS, 36, "topic already exists")                        \
    X(INVALID_PARTITIONS, 37, "invalid number of partitions")                  \
    X(INVALID_REPLICATION_FACTOR, 38, "invalid replication factor")            \
    X(INVALID_REPLICA_ASSIGNMENT, 39, "invalid replica assignment")            \
    X(INVALID_CONFIG, 40, "invalid configuration")                             \
    X(NOT_CONTROLLER, 41, "not the controller")                                \
    X(INVALID_REQUEST, 42, "invalid request")                                  \
    X(UNSUPPORTED_FOR_MESSAGE_FORMAT, 43, "unsupported for message format")    \
    X(POLICY_VIOLATION, 44, "policy violation")                                \
    X(OUT_OF_ORDER_SEQUENCE_NUMBER, 45, "out of order sequence number")        \
    X(DUPLICATE_SEQUENCE_NUMBER, 46, "duplicate sequence number")              \
    X(INVALID_PRODUCER_EPOCH, 47, "invalid producer epoch")                    \
    X(INVALID_TXN_STATE, 48, "invalid transaction state")                      \
    X(INVALID_PRODUCER_ID_MAPPING, 49, "invalid producer id mapping")          \
    X(INVALID_TRANSACTION_TIMEOUT, 50, "invalid transaction timeout")          \
    X(CONCURRENT_TRANSACTIONS, 51, "concurrent transactions")                  \
    X(TRANSACTION_COORDINATOR_FENCED, 52, "transaction coordinator fenced")    \
    X(TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 53,                               \
      "transactional id authorization failed")                                 \
    X(SECURITY_DISABLED, 54, "security features are disabled")                 \
    X(OPERATION_NOT_ATTEMPTED, 55, "operation not attempted")                  \
    X(KAFKA_STORAGE_ERROR, 56, "disk error while accessing the log")           \
    X(LOG_DIR_NOT_FOUND, 57, "log directory not found")                        \
    X(SASL_AUTHENTICATION_FAILED, 58, "SASL authentication failed")            \
    X(UNKNOWN_PRODUCER_ID, 59, "unknown producer id")                          \
    X(REASSIGNMENT_IN_PROGRESS, 60, "reassignment in progress")                \
    X(DELEGATION_TOKEN_AUTH_DISABLED, 61, "delegation tokens disabled")        \
    X(DELEGATION_TOKEN_NOT_FOUND, 62, "delegation token not found")            \
    X(DELEGATION_TOKEN_OWNER_MISMATCH, 63, "delegation token owner mismatch")  \
    X(DELEGATION_TOKEN_REQUEST_NOT_ALLOWED, 64,                                \
      "delegation token request not allowed")                                  \
    X(DELEGATION_TOKEN_AUTHORIZATION_FAILED, 65,                               \
      "delegation token authorization failed")                                 \
    X(DELEGATION_TOKEN_EXPIRED, 66, "delegation token expired")                \
    X(INVALID_PRINCIPAL_TYPE, 67, "invalid principal type")                    \
    X(NON_EMPTY_GROUP, 68, "group is not empty")                               \
    X(GROUP_ID_NOT_FOUND, 69, "group id not found")                            \
    X(FETCH_SESSION_ID_NOT_FOUND, 70, "fetch session id not found")            \
    X(INVALID_FETCH_SESSION_EPOCH, 71, "invalid fetch session epoch")          \
    X(LISTENER_NOT_FOUND, 72, "listener not found")                            \
    X(TOPIC_DELETION_DISABLED, 73, "topic deletion disabled")                  \
    X(FENCED_LEADER_EPOCH, 74, "fenced leader epoch")                          \
    X(UNKNOWN_LEADER_EPOCH, 75, "unknown leader epoch")                        \
    X(UNSUPPORTED_COMPRESSION_TYPE, 76, "unsupported compression type")        \
    X(STALE_BROKER_EPOCH, 77, "stale broker epoch")                            \
    X(OFFSET_NOT_AVAILABLE, 78, "offset not available")                        \
    X(MEMBER_ID_REQUIRED, 79, "member id required")                            \
    X(PREFERRED_LEADER_NOT_AVAILABLE, 80, "preferred leader not available")    \
    X(GROUP_MAX_SIZE_REACHED, 81, "group max size reached")                    \
    X(FENCED_INSTANCE_ID, 82, "fenced group instance id")                      \
    X(ELIGIBLE_LEADERS_NOT_AVAILABLE, 83, "eligible leaders not available")    \
    X(ELECTION_NOT_NEEDED, 84, "election not needed")                          \
    X(NO_REASSIGNMENT_IN_PROGRESS, 85, "no reassignment in progress")          \
    X(GROUP_SUBSCRIBED_TO_TOPIC, 86, "group subscribed to topic")              \
    X(INVALID_RECORD, 87, "invalid record")                                    \
    X(UNSTABLE_OFFSET_COMMIT, 88, "unstable offset commit")                    \
    X(THROTTLING_QUOTA_EXCEEDED, 89, "throttling quota exceeded")              \
    X(PRODUCER_FENCED, 90, "producer fenced")                                  \
    X(RESOURCE_NOT_FOUND, 91, "resource not found")                            \
    X(DUPLICATE_RESOURCE, 92, "duplicate resource")                            \
    X(UNACCEPTABLE_CREDENTIAL, 93, "unacceptable credential")                  \
    X(INCONSISTENT_VOTER_SET, 94, "inconsistent voter set")                    \
    X(INVALID_UPDATE_VERSION, 95, "invalid update version")                    \
    X(FEATURE_UPDATE_FAILED, 96, "feature update failed")                      \
    X(PRINCIPAL_DESERIALIZATION_FAILURE, 97,                                   \
      "principal deserialization failure")                                     \
    X(SNAPSHOT_NOT_FOUND, 98, "snapshot not found")                            \
    X(POSITION_OUT_OF_RANGE, 99, "position out of range")                      \
    X(UNKNOWN_TOPIC_ID, 100, "unknown topic id")                               \
    X(DUPLICATE_BROKER_REGISTRATION, 101, "duplicate broker registration")     \
    X(BROKER_ID_NOT_REGISTERED, 102, "broker id not registered")               \
    X(INCONSISTENT_TOPIC_ID, 103, "inconsistent topic id")                     \
    X(INCONSISTENT_CLUSTER_ID, 104, "inconsistent cluster id")                 \
    X(TRANSACTIONAL_ID_NOT_FOUND, 105, "transactional id not found")           \
    X(FETCH_SESSION_TOPIC_ID_ERROR, 106, "fetch session topic id error")       \
    X(INELIGIBLE_REPLICA, 107, "ineligible replica")                           \
    X(NEW_LEADER_ELECTED, 108, "new leader elected")                           \
    X(OFFSET_MOVED_TO_TIERED_STORAGE, 109, "offset moved to tiered storage")   \
    X(FENCED_MEMBER_EPOCH, 110, "fenced member epoch")                         \
    X(UNRELEASED_INSTANCE_ID, 111, "unreleased instance id")                   \
    X(UNSUPPORTED_ASSIGNOR, 112, "unsupported assignor")                       \
    X(STALE_MEMBER_EPOCH, 113, "stale member epoch")                           \
    X(MISMATCHED_ENDPOINT_TYPE, 114, "mismatched endpoint type")               \
    X(UNSUPPORTED_ENDPOINT_TYPE, 115, "unsupported endpoint type")             \
    X(UNKNOWN_CONTROLLER_ID, 116, "unknown controller id")                     \
    X(UNKNOWN_SUBSCRIPTION_ID, 117, "unknown subscription id")                 \
    X(TELEMETRY_TOO_LARGE, 118, "telemetry too large")                         \
    X(INVALID_REGISTRATION, 119, "invalid registration")

/* X(NAME, value, "description") for Samsa-internal conditions. */
#define SAMSA_INTERNAL_ERRORS(X)                                               \
    X(NOMEM, -1000, "out of memory")                                           \
    X(INVAL, -1001, "invalid argument")                                        \
    X(IO, -1002, "input/output error")                                         \
    X(NOT_FOUND, -1003, "not found")                                           \
    X(EXISTS, -1004, "already exists")                                         \
    X(ABI, -1005, "incompatible plugin ABI")                                   \
    X(CONFIG, -1006, "configuration error")                                    \
    X(DECLINED, -1007, "not handled here; ask the next in the chain")          \
    X(AGAIN, -1008, "try again later")                                         \
    X(PROTOCOL, -1009, "malformed protocol data")                              \
    X(TOO_LARGE, -1010, "size limit exceeded")                                 \
    X(NO_SPACE, -1011, "no space left on device")                              \
    X(CLOSED, -1012, "closed or shutting down")                                \
    X(UNSUPPORTED, -1013, "operation not supported by this implementation")    \
    X(CORRUPT, -1014, "stored data is corrupt")                                \
    X(TIMEOUT, -1015, "timed out")

/** Lowest value of the Kafka range (UNKNOWN_SERVER_ERROR). */
#define SAMSA_ERR_KAFKA_MIN (-1)
/** Internal codes are <= this value and never go on the wire. */
#define SAMSA_ERR_INTERNAL_BASE (-1000)

#define SAMSA_ERR_ENUM_ENTRY_(name, value, desc) SAMSA_ERR_##name = (value),

/**
 * Result of every ABI function. SAMSA_OK (== SAMSA_ERR_NONE == 0) is success.
 */
/* clang-format off */
typedef enum samsa_err {
    SAMSA_OK = 0,
    SAMSA_KAFKA_ERRORS(SAMSA_ERR_ENUM_ENTRY_)
    SAMSA_INTERNAL_ERRORS(SAMSA_ERR_ENUM_ENTRY_)
} samsa_err_t;
/* clang-format on */

#undef SAMSA_ERR_ENUM_ENTRY_

/** True for codes that may be put into a Kafka response as they are. */
#define SAMSA_ERR_IS_KAFKA(err) ((int)(err) >= SAMSA_ERR_KAFKA_MIN)

#ifdef __cplusplus
}
#endif

#endif /* SAMSA_ERRORS_H */
