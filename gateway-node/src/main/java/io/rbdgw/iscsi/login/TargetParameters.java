package io.rbdgw.iscsi.login;

import java.util.List;

/**
 * What the target is willing to do. Numeric values are the target's side of each result function
 * (RFC 7143 section 13); booleans are the target's preference; the digest lists name what the target
 * accepts (the initiator's order of preference decides among them).
 */
public record TargetParameters(int maxRecvDataSegmentLength, int maxBurstLength, int firstBurstLength,
                               boolean immediateData, boolean initialR2T, int maxOutstandingR2T,
                               int errorRecoveryLevel, int maxConnections, boolean dataPduInOrder,
                               boolean dataSequenceInOrder, int defaultTime2Wait, int defaultTime2Retain,
                               List<String> headerDigests, List<String> dataDigests) {

    public TargetParameters {
        check("MaxRecvDataSegmentLength", maxRecvDataSegmentLength, 512, 16777215);
        check("MaxBurstLength", maxBurstLength, 512, 16777215);
        check("FirstBurstLength", firstBurstLength, 512, maxBurstLength);
        check("MaxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        check("ErrorRecoveryLevel", errorRecoveryLevel, 0, 0); // only level 0 is implemented
        check("MaxConnections", maxConnections, 1, 65535);
        check("DefaultTime2Wait", defaultTime2Wait, 0, 3600);
        check("DefaultTime2Retain", defaultTime2Retain, 0, 3600);
        headerDigests = checkDigests(headerDigests);
        dataDigests = checkDigests(dataDigests);
    }

    /**
     * Defaults for a performant target. DefaultTime2Retain is 0: at error recovery level 0 nothing is
     * recovered after a connection failure, so there is no task state worth keeping.
     */
    public static TargetParameters defaults() {
        return new TargetParameters(262144, 1048576, 262144, true, false, 16, 0, 1, true, true, 2, 0,
                List.of("CRC32C", "None"), List.of("CRC32C", "None"));
    }

    public TargetParameters withDigests(List<String> header, List<String> data) {
        return new TargetParameters(maxRecvDataSegmentLength, maxBurstLength, firstBurstLength, immediateData,
                initialR2T, maxOutstandingR2T, errorRecoveryLevel, maxConnections, dataPduInOrder,
                dataSequenceInOrder, defaultTime2Wait, defaultTime2Retain, header, data);
    }

    private static void check(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(key + " " + value + " not in " + min + ".." + max);
        }
    }

    private static List<String> checkDigests(List<String> digests) {
        if (digests == null || digests.isEmpty()) {
            throw new IllegalArgumentException("digest list must not be empty");
        }
        for (String d : digests) {
            if (!d.equals("None") && !d.equals("CRC32C")) {
                throw new IllegalArgumentException("unsupported digest " + d);
            }
        }
        return List.copyOf(digests);
    }
}
