package io.rbdgw.iscsi.login;

import io.rbdgw.config.model.Setting;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * What the target is willing to do. Numeric values are the target's side of each result function
 * (RFC 7143 section 13); booleans are the target's preference; the digest lists name what the target
 * accepts (the initiator's order of preference decides among them). {@code maxXmitDataSegmentLength} caps the
 * data segments the target sends below what the initiator declared it receives.
 */
public record TargetParameters(
        int maxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        boolean immediateData,
        boolean initialR2T,
        int maxOutstandingR2T,
        int errorRecoveryLevel,
        int maxConnections,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder,
        int defaultTime2Wait,
        int defaultTime2Retain,
        List<String> headerDigests,
        List<String> dataDigests,
        int maxXmitDataSegmentLength) {

    public TargetParameters {
        check("MaxRecvDataSegmentLength", maxRecvDataSegmentLength, 512, 16777215);
        check("MaxBurstLength", maxBurstLength, 512, 16777215);
        check("FirstBurstLength", firstBurstLength, 512, maxBurstLength);
        check("MaxOutstandingR2T", maxOutstandingR2T, 1, 65535);
        check("ErrorRecoveryLevel", errorRecoveryLevel, 0, 0); // only level 0 is implemented
        check("MaxConnections", maxConnections, 1, 65535);
        check("DefaultTime2Wait", defaultTime2Wait, 0, 3600);
        check("DefaultTime2Retain", defaultTime2Retain, 0, 3600);
        check("MaxXmitDataSegmentLength", maxXmitDataSegmentLength, 512, 16777215);
        headerDigests = checkDigests(headerDigests);
        dataDigests = checkDigests(dataDigests);
    }

    /** What the target negotiates when nothing is configured: the {@link Setting} defaults. */
    public static TargetParameters defaults() {
        return of(Setting::defaultValue);
    }

    /**
     * The parameters for the values in force, one per {@link Setting} (canonical, as {@link Setting#validate}
     * returns them). FirstBurstLength is capped at MaxBurstLength (RFC 7143 section 13.14) because the two may
     * come from different levels (a cluster-wide FirstBurstLength, a target's smaller MaxBurstLength). An
     * ErrorRecoveryLevel above 0, which only an older configuration can hold, is negotiated as 0: nothing else
     * is implemented.
     */
    public static TargetParameters of(Function<Setting, String> value) {
        int maxBurst = number(value, Setting.MAX_BURST_LENGTH);
        return new TargetParameters(
                number(value, Setting.MAX_RECV_DATA_SEGMENT_LENGTH),
                maxBurst,
                Math.min(number(value, Setting.FIRST_BURST_LENGTH), maxBurst),
                "Yes".equals(value.apply(Setting.IMMEDIATE_DATA)),
                "Yes".equals(value.apply(Setting.INITIAL_R2T)),
                number(value, Setting.MAX_OUTSTANDING_R2T),
                0,
                1,
                true,
                true,
                number(value, Setting.DEFAULT_TIME2WAIT),
                number(value, Setting.DEFAULT_TIME2RETAIN),
                digests(value, Setting.HEADER_DIGEST),
                digests(value, Setting.DATA_DIGEST),
                number(value, Setting.MAX_XMIT_DATA_SEGMENT_LENGTH));
    }

    private static int number(Function<Setting, String> value, Setting s) {
        return Integer.parseInt(value.apply(s));
    }

    private static List<String> digests(Function<Setting, String> value, Setting s) {
        return Arrays.asList(value.apply(s).split(","));
    }

    public TargetParameters withDigests(List<String> header, List<String> data) {
        return new TargetParameters(
                maxRecvDataSegmentLength,
                maxBurstLength,
                firstBurstLength,
                immediateData,
                initialR2T,
                maxOutstandingR2T,
                errorRecoveryLevel,
                maxConnections,
                dataPduInOrder,
                dataSequenceInOrder,
                defaultTime2Wait,
                defaultTime2Retain,
                header,
                data,
                maxXmitDataSegmentLength);
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
