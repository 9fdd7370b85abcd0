package io.rbdgw.iscsi.login;

import static io.rbdgw.iscsi.login.TestLogin.INITIATOR;
import static io.rbdgw.iscsi.login.TestLogin.TARGET;
import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.iscsi.login.TestLogin.Ctx;
import io.rbdgw.iscsi.login.TestLogin.Initiator;
import io.rbdgw.iscsi.login.TestLogin.Reply;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Result functions of RFC 7143 section 13, against the default target parameters. */
class KeyNegotiationTest {

    private static Reply offer(Ctx ctx, String... pairs) {
        Initiator i = new Initiator(ctx);
        Reply r = i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=None");
        assertThat(r.status()).isEqualTo(LoginStatus.SUCCESS);
        r = i.send(1, false, 0, pairs);
        assertThat(r.status()).as("a key value never fails the login").isEqualTo(LoginStatus.SUCCESS);
        assertThat(r.out().closeConnection()).isFalse();
        return r;
    }

    private static Reply offer(String... pairs) {
        return offer(new Ctx(1).target(TestLogin.openTarget()), pairs);
    }

    @ParameterizedTest(name = "{0}={1} -> {2}")
    @CsvSource({
        // Minimum (target: MaxConnections 1, MaxBurstLength 1048576, MaxOutstandingR2T 16, ERL 0, Time2Retain 0)
        "MaxConnections, 1, 1",
        "MaxConnections, 8, 1",
        "MaxConnections, 65535, 1",
        "MaxBurstLength, 512, 512",
        "MaxBurstLength, 262144, 262144",
        "MaxBurstLength, 16776192, 1048576",
        "MaxBurstLength, 0x100000, 1048576",
        "MaxOutstandingR2T, 1, 1",
        "MaxOutstandingR2T, 16, 16",
        "MaxOutstandingR2T, 64, 16",
        "ErrorRecoveryLevel, 0, 0",
        "ErrorRecoveryLevel, 2, 0",
        "DefaultTime2Retain, 20, 0",
        "DefaultTime2Retain, 0, 0",
        // Maximum (target DefaultTime2Wait 2)
        "DefaultTime2Wait, 0, 2",
        "DefaultTime2Wait, 2, 2",
        "DefaultTime2Wait, 10, 10",
        "DefaultTime2Wait, 3600, 3600",
        // OR (target InitialR2T No, DataPDUInOrder Yes, DataSequenceInOrder Yes)
        "InitialR2T, Yes, Yes",
        "InitialR2T, No, No",
        "DataPDUInOrder, No, Yes",
        "DataPDUInOrder, Yes, Yes",
        "DataSequenceInOrder, No, Yes",
        // AND (target ImmediateData Yes)
        "ImmediateData, Yes, Yes",
        "ImmediateData, No, No",
        // list selection in the initiator's order
        "HeaderDigest, None, None",
        "HeaderDigest, CRC32C, CRC32C",
        "HeaderDigest, 'CRC32C,None', CRC32C",
        "HeaderDigest, 'None,CRC32C', None",
        "DataDigest, 'MD5,CRC32C', CRC32C",
        "DataDigest, 'MD5,SHA1', Reject",
        // out of range or not a valid value: Reject, and the login goes on
        "MaxBurstLength, 511, Reject",
        "MaxBurstLength, 16777216, Reject",
        "MaxBurstLength, abc, Reject",
        "MaxBurstLength, -1, Reject",
        "MaxConnections, 0, Reject",
        "MaxConnections, 65536, Reject",
        "ErrorRecoveryLevel, 3, Reject",
        "DefaultTime2Wait, 3601, Reject",
        "MaxOutstandingR2T, 0, Reject",
        "InitialR2T, yes, Reject",
        "ImmediateData, Maybe, Reject",
        // obsolete markers
        "IFMarker, Yes, No",
        "OFMarker, No, No",
        "IFMarkInt, 2048~8192, Reject",
        "OFMarkInt, 2048, Reject",
        // unknown and private keys
        "X-com.example.Foo, 1, NotUnderstood",
        "X#org.example, 1, NotUnderstood",
        "FooBar, 1, NotUnderstood",
        "RDMAExtensions, No, NotUnderstood",
        // a full-feature-phase key
        "SendTargets, All, Reject",
    })
    void resultFunction(String key, String offered, String expected) {
        assertThat(offer(key + "=" + offered).get(key)).isEqualTo(expected);
    }

    @Test
    void declarativeMaxRecvDataSegmentLengthIsNotAnsweredButDeclared() {
        Reply r = offer("MaxRecvDataSegmentLength=16384");
        assertThat(r.keys()).containsExactly(java.util.Map.entry("MaxRecvDataSegmentLength", "262144"));
        assertThat(offer("MaxRecvDataSegmentLength=100").keys())
                .containsExactly(java.util.Map.entry("MaxRecvDataSegmentLength", "Reject"));
    }

    @Test
    void rejectedDeclarationPostponesOursAndTheTransit() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        Reply r = i.send(
                1, true, 3, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "MaxRecvDataSegmentLength=100");
        assertThat(r.keys()).containsEntry("MaxRecvDataSegmentLength", "Reject");
        assertThat(r.out().transit()).isFalse();
        r = i.send(1, true, 3, "MaxRecvDataSegmentLength=1024");
        assertThat(r.keys()).containsExactly(java.util.Map.entry("MaxRecvDataSegmentLength", "262144"));
        assertThat(r.out().complete()).isTrue();
        assertThat(i.negotiator.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(1024);
    }

    @Test
    void firstBurstLengthNeverExceedsMaxBurstLength() {
        // FirstBurstLength offered before MaxBurstLength in the same request
        Reply r = offer("FirstBurstLength=262144", "MaxBurstLength=65536");
        assertThat(r.get("MaxBurstLength")).isEqualTo("65536");
        assertThat(r.get("FirstBurstLength")).isEqualTo("65536");
        assertThat(r.keys().keySet()).startsWith("FirstBurstLength"); // answers keep the offer order
        assertThat(offer("FirstBurstLength=1048576", "MaxBurstLength=1048576").get("FirstBurstLength"))
                .isEqualTo("262144");
        assertThat(offer("FirstBurstLength=8192").get("FirstBurstLength")).isEqualTo("8192");
    }

    @Test
    void firstBurstLengthAcrossRequestsIsClampedInTheResult() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        i.send(1, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "FirstBurstLength=262144");
        Reply r = i.send(1, true, 3, "MaxBurstLength=16384");
        assertThat(r.out().complete()).isTrue();
        assertThat(i.negotiator.result().maxBurstLength()).isEqualTo(16384);
        assertThat(i.negotiator.result().firstBurstLength()).isEqualTo(16384);
    }

    @Test
    void firstBurstLengthIsIrrelevantWithoutUnsolicitedData() {
        Reply r = offer("InitialR2T=Yes", "ImmediateData=No", "FirstBurstLength=65536");
        assertThat(r.get("FirstBurstLength")).isEqualTo("Irrelevant");
        assertThat(offer("InitialR2T=Yes", "ImmediateData=Yes", "FirstBurstLength=65536")
                        .get("FirstBurstLength"))
                .isEqualTo("65536");
    }

    @Test
    void targetOnlyDeclarationsFromTheInitiatorAreProtocolErrors() {
        for (String key : new String[] {"TargetAlias", "TargetPortalGroupTag", "TargetAddress"}) {
            Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
            Reply r = i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, key + "=1");
            assertThat(r.status()).as(key).isEqualTo(LoginStatus.INITIATOR_ERROR);
            assertThat(r.out().closeConnection()).isTrue();
        }
    }

    @Test
    void targetThatOnlyAcceptsNoDigests() {
        Ctx ctx = new Ctx(1).target(TestLogin.openTarget());
        ctx.parameters = TargetParameters.defaults().withDigests(List.of("None"), List.of("None"));
        Reply r = offer(ctx, "HeaderDigest=CRC32C,None", "DataDigest=CRC32C");
        assertThat(r.get("HeaderDigest")).isEqualTo("None");
        assertThat(r.get("DataDigest")).isEqualTo("Reject");
    }

    @Test
    void rejectedValueKeepsTheDefault() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        i.send(1, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "MaxBurstLength=1");
        Reply r = i.send(1, true, 3);
        assertThat(r.out().complete()).isTrue();
        assertThat(i.negotiator.result().maxBurstLength()).isEqualTo(262144);
    }

    @Test
    void customTargetPreferences() {
        Ctx ctx = new Ctx(1).target(TestLogin.openTarget());
        ctx.parameters = new TargetParameters(
                65536,
                524288,
                131072,
                false,
                true,
                4,
                0,
                1,
                true,
                true,
                5,
                10,
                List.of("None"),
                List.of("None"),
                16777215);
        Reply r = offer(
                ctx,
                "InitialR2T=No",
                "ImmediateData=Yes",
                "MaxBurstLength=16776192",
                "FirstBurstLength=262144",
                "DefaultTime2Wait=2",
                "DefaultTime2Retain=20",
                "MaxOutstandingR2T=8");
        assertThat(r.get("InitialR2T")).isEqualTo("Yes");
        assertThat(r.get("ImmediateData")).isEqualTo("No");
        assertThat(r.get("MaxBurstLength")).isEqualTo("524288");
        assertThat(r.get("FirstBurstLength")).isEqualTo("Irrelevant");
        assertThat(r.get("DefaultTime2Wait")).isEqualTo("5");
        assertThat(r.get("DefaultTime2Retain")).isEqualTo("10");
        assertThat(r.get("MaxOutstandingR2T")).isEqualTo("4");
        assertThat(r.get("MaxRecvDataSegmentLength")).isEqualTo("65536");
    }
}
