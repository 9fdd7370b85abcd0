package io.rbdgw.iscsi.login;

/**
 * The outcome of a successful login.
 *
 * @param target                            null for a discovery session
 * @param initiatorMaxRecvDataSegmentLength the largest data segment the target may send per PDU
 * @param targetMaxRecvDataSegmentLength    what the target declared it receives per PDU
 */
public record NegotiatedSession(
        boolean discovery,
        String initiatorName,
        String initiatorAlias,
        LoginTarget target,
        boolean headerDigest,
        boolean dataDigest,
        int initiatorMaxRecvDataSegmentLength,
        int targetMaxRecvDataSegmentLength,
        int maxBurstLength,
        int firstBurstLength,
        boolean initialR2T,
        boolean immediateData,
        int maxOutstandingR2T,
        int errorRecoveryLevel,
        int defaultTime2Wait,
        int defaultTime2Retain,
        int maxConnections,
        boolean dataPduInOrder,
        boolean dataSequenceInOrder) {}
