package io.rbdgw.iscsi.login;

/**
 * The operational keys of RFC 7143 section 13 with their result functions, and the outcomes negotiated
 * so far (initialised to the RFC defaults, which hold for keys the initiator never offers).
 * Not thread-safe: one instance per login.
 */
final class OperationalKeys {

    enum Function {
        MINIMUM,
        MAXIMUM,
        OR,
        AND,
        DECLARATIVE,
        LIST
    }

    /** A key the target negotiates, its valid range and whether discovery sessions ignore it. */
    enum Key {
        HEADER_DIGEST("HeaderDigest", Function.LIST, 0, 0, false),
        DATA_DIGEST("DataDigest", Function.LIST, 0, 0, false),
        MAX_CONNECTIONS("MaxConnections", Function.MINIMUM, 1, 65535, true),
        INITIAL_R2T("InitialR2T", Function.OR, 0, 0, true),
        IMMEDIATE_DATA("ImmediateData", Function.AND, 0, 0, true),
        MAX_RECV_DATA_SEGMENT_LENGTH("MaxRecvDataSegmentLength", Function.DECLARATIVE, 512, 16777215, false),
        MAX_BURST_LENGTH("MaxBurstLength", Function.MINIMUM, 512, 16777215, true),
        FIRST_BURST_LENGTH("FirstBurstLength", Function.MINIMUM, 512, 16777215, true),
        DEFAULT_TIME2WAIT("DefaultTime2Wait", Function.MAXIMUM, 0, 3600, false),
        DEFAULT_TIME2RETAIN("DefaultTime2Retain", Function.MINIMUM, 0, 3600, false),
        MAX_OUTSTANDING_R2T("MaxOutstandingR2T", Function.MINIMUM, 1, 65535, true),
        DATA_PDU_IN_ORDER("DataPDUInOrder", Function.OR, 0, 0, true),
        DATA_SEQUENCE_IN_ORDER("DataSequenceInOrder", Function.OR, 0, 0, true),
        ERROR_RECOVERY_LEVEL("ErrorRecoveryLevel", Function.MINIMUM, 0, 2, false);

        final String wireName;
        final Function function;
        final int min;
        final int max;
        final boolean irrelevantInDiscovery;

        Key(String wireName, Function function, int min, int max, boolean irrelevantInDiscovery) {
            this.wireName = wireName;
            this.function = function;
            this.min = min;
            this.max = max;
            this.irrelevantInDiscovery = irrelevantInDiscovery;
        }

        static Key byName(String name) {
            for (Key k : values()) {
                if (k.wireName.equals(name)) {
                    return k;
                }
            }
            return null;
        }
    }

    static final String REJECT = "Reject";
    static final String IRRELEVANT = "Irrelevant";

    private final TargetParameters ours;

    boolean headerDigest;
    boolean dataDigest;
    int maxConnections = 1;
    boolean initialR2T = true;
    boolean immediateData = true;
    int initiatorMaxRecvDataSegmentLength = 8192;
    int maxBurstLength = 262144;
    int firstBurstLength = 65536;
    int defaultTime2Wait = 2;
    int defaultTime2Retain = 20;
    int maxOutstandingR2T = 1;
    boolean dataPduInOrder = true;
    boolean dataSequenceInOrder = true;
    int errorRecoveryLevel = 0;

    OperationalKeys(TargetParameters ours) {
        this.ours = ours;
    }

    /**
     * Applies an initiator's offer and returns the answer to send, or null for a declaration that gets
     * no answer. An inadmissible value is answered with Reject and leaves the outcome unchanged.
     */
    String offer(Key key, String value, boolean discovery) {
        if (discovery && key.irrelevantInDiscovery) {
            return IRRELEVANT;
        }
        switch (key.function) {
            case LIST:
                return digest(key, value);
            case OR:
            case AND: {
                Boolean offered = parseBoolean(value);
                if (offered == null) {
                    return REJECT;
                }
                boolean result = key.function == Function.OR ? offered || ourBoolean(key) : offered && ourBoolean(key);
                setBoolean(key, result);
                return result ? "Yes" : "No";
            }
            case DECLARATIVE: {
                long v = Chap.parseNumber(value);
                if (v < key.min || v > key.max) {
                    return REJECT;
                }
                initiatorMaxRecvDataSegmentLength = (int) v;
                return null;
            }
            default: {
                long v = Chap.parseNumber(value);
                if (v < key.min || v > key.max) {
                    return REJECT;
                }
                int result;
                if (key.function == Function.MAXIMUM) {
                    result = (int) Math.max(v, ourNumber(key));
                } else {
                    result = (int) Math.min(v, ourNumber(key));
                    if (key == Key.FIRST_BURST_LENGTH) {
                        if (initialR2T && !immediateData) {
                            return IRRELEVANT; // no unsolicited data at all (RFC 7143 section 13.14)
                        }
                        result = Math.min(result, maxBurstLength);
                    }
                }
                setNumber(key, result);
                return Integer.toString(result);
            }
        }
    }

    /** FirstBurstLength must not exceed MaxBurstLength (RFC 7143 section 13.14), whatever order they came in. */
    int effectiveFirstBurstLength() {
        return Math.min(firstBurstLength, maxBurstLength);
    }

    private String digest(Key key, String value) {
        for (String item : value.split(",", -1)) {
            if ((item.equals("CRC32C") || item.equals("None"))
                    && (key == Key.HEADER_DIGEST ? ours.headerDigests() : ours.dataDigests()).contains(item)) {
                boolean crc = item.equals("CRC32C");
                if (key == Key.HEADER_DIGEST) {
                    headerDigest = crc;
                } else {
                    dataDigest = crc;
                }
                return item;
            }
        }
        return REJECT;
    }

    static Boolean parseBoolean(String value) {
        if (value.equals("Yes")) {
            return Boolean.TRUE;
        }
        if (value.equals("No")) {
            return Boolean.FALSE;
        }
        return null;
    }

    private boolean ourBoolean(Key key) {
        switch (key) {
            case INITIAL_R2T:
                return ours.initialR2T();
            case IMMEDIATE_DATA:
                return ours.immediateData();
            case DATA_PDU_IN_ORDER:
                return ours.dataPduInOrder();
            case DATA_SEQUENCE_IN_ORDER:
                return ours.dataSequenceInOrder();
            default:
                throw new IllegalArgumentException(key.toString());
        }
    }

    private void setBoolean(Key key, boolean v) {
        switch (key) {
            case INITIAL_R2T:
                initialR2T = v;
                break;
            case IMMEDIATE_DATA:
                immediateData = v;
                break;
            case DATA_PDU_IN_ORDER:
                dataPduInOrder = v;
                break;
            case DATA_SEQUENCE_IN_ORDER:
                dataSequenceInOrder = v;
                break;
            default:
                throw new IllegalArgumentException(key.toString());
        }
    }

    private int ourNumber(Key key) {
        switch (key) {
            case MAX_CONNECTIONS:
                return ours.maxConnections();
            case MAX_BURST_LENGTH:
                return ours.maxBurstLength();
            case FIRST_BURST_LENGTH:
                return ours.firstBurstLength();
            case DEFAULT_TIME2WAIT:
                return ours.defaultTime2Wait();
            case DEFAULT_TIME2RETAIN:
                return ours.defaultTime2Retain();
            case MAX_OUTSTANDING_R2T:
                return ours.maxOutstandingR2T();
            case ERROR_RECOVERY_LEVEL:
                return ours.errorRecoveryLevel();
            default:
                throw new IllegalArgumentException(key.toString());
        }
    }

    private void setNumber(Key key, int v) {
        switch (key) {
            case MAX_CONNECTIONS:
                maxConnections = v;
                break;
            case MAX_BURST_LENGTH:
                maxBurstLength = v;
                break;
            case FIRST_BURST_LENGTH:
                firstBurstLength = v;
                break;
            case DEFAULT_TIME2WAIT:
                defaultTime2Wait = v;
                break;
            case DEFAULT_TIME2RETAIN:
                defaultTime2Retain = v;
                break;
            case MAX_OUTSTANDING_R2T:
                maxOutstandingR2T = v;
                break;
            case ERROR_RECOVERY_LEVEL:
                errorRecoveryLevel = v;
                break;
            default:
                throw new IllegalArgumentException(key.toString());
        }
    }
}
