package io.rbdgw.iscsi.login;

import static io.rbdgw.iscsi.login.TestLogin.INITIATOR;
import static io.rbdgw.iscsi.login.TestLogin.TARGET;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.rbdgw.iscsi.login.TestLogin.Ctx;
import io.rbdgw.iscsi.login.TestLogin.Initiator;
import io.rbdgw.iscsi.login.TestLogin.Reply;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LoginNegotiatorTest {
    private static final ChapSecret INITIATOR_CHAP = new ChapSecret("client1", "initiatorsecret1");
    private static final ChapSecret TARGET_CHAP = new ChapSecret("target1", "targetsecret123");

    private static void assertFailed(Reply r, LoginStatus status) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.out().closeConnection()).isTrue();
        assertThat(r.out().transit()).isFalse();
        assertThat(r.out().complete()).isFalse();
        assertThat(r.keys()).isEmpty();
    }

    private static void assertOk(Reply r) {
        assertThat(r.status()).isEqualTo(LoginStatus.SUCCESS);
        assertThat(r.out().closeConnection()).isFalse();
    }

    @Test
    void loginWithoutAuthenticationThroughAllStages() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        Reply r = i.send(
                0,
                true,
                1,
                "InitiatorName=" + INITIATOR,
                "InitiatorAlias=client1",
                "SessionType=Normal",
                "TargetName=" + TARGET,
                "AuthMethod=None");
        assertOk(r);
        assertThat(r.keys())
                .containsEntry("TargetPortalGroupTag", "7")
                .containsEntry("TargetAlias", "disk1")
                .containsEntry("AuthMethod", "None")
                .doesNotContainKey("MaxRecvDataSegmentLength");
        assertThat(r.out().transit()).isTrue();
        assertThat(r.out().csg()).isZero();
        assertThat(r.out().nsg()).isEqualTo(1);

        r = i.send(
                1,
                true,
                3,
                "HeaderDigest=None",
                "DataDigest=None",
                "MaxRecvDataSegmentLength=65536",
                "InitialR2T=No",
                "ImmediateData=Yes",
                "MaxBurstLength=16776192",
                "FirstBurstLength=262144",
                "MaxOutstandingR2T=1",
                "MaxConnections=1",
                "DefaultTime2Wait=2",
                "DefaultTime2Retain=0",
                "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes",
                "ErrorRecoveryLevel=0",
                "IFMarker=No",
                "OFMarker=No");
        assertOk(r);
        assertThat(r.out().transit()).isTrue();
        assertThat(r.out().csg()).isEqualTo(1);
        assertThat(r.out().nsg()).isEqualTo(3);
        assertThat(r.out().complete()).isTrue();
        assertThat(r.keys())
                .containsEntry("MaxRecvDataSegmentLength", "262144")
                .containsEntry("MaxBurstLength", "1048576")
                .containsEntry("FirstBurstLength", "262144")
                .containsEntry("InitialR2T", "No")
                .containsEntry("ImmediateData", "Yes")
                .containsEntry("IFMarker", "No")
                .containsEntry("OFMarker", "No")
                .doesNotContainKey("TargetPortalGroupTag");

        NegotiatedSession s = i.negotiator.result();
        assertThat(s.discovery()).isFalse();
        assertThat(s.initiatorName()).isEqualTo(INITIATOR);
        assertThat(s.initiatorAlias()).isEqualTo("client1");
        assertThat(s.target().name()).isEqualTo(TARGET);
        assertThat(s.initiatorMaxRecvDataSegmentLength()).isEqualTo(65536);
        assertThat(s.targetMaxRecvDataSegmentLength()).isEqualTo(262144);
        assertThat(s.maxBurstLength()).isEqualTo(1048576);
        assertThat(s.firstBurstLength()).isEqualTo(262144);
        assertThat(s.initialR2T()).isFalse();
        assertThat(s.immediateData()).isTrue();
        assertThat(s.maxOutstandingR2T()).isEqualTo(1);
        assertThat(s.defaultTime2Retain()).isZero();
        assertThat(s.headerDigest()).isFalse();

        // anything after completion is a protocol error
        assertFailed(i.send(3, false, 0), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void resultIsUnavailableBeforeCompletion() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        assertThatThrownBy(() -> i.negotiator.result()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void operationalStageFirstSendsPortalGroupTagThere() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        Reply r = i.send(1, true, 3, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET);
        assertOk(r);
        assertThat(r.keys())
                .containsEntry("TargetPortalGroupTag", "7")
                .containsEntry("MaxRecvDataSegmentLength", "262144");
        assertThat(r.out().complete()).isTrue();
        // nothing offered: RFC defaults hold
        NegotiatedSession s = i.negotiator.result();
        assertThat(s.maxBurstLength()).isEqualTo(262144);
        assertThat(s.firstBurstLength()).isEqualTo(65536);
        assertThat(s.initialR2T()).isTrue();
        assertThat(s.initiatorMaxRecvDataSegmentLength()).isEqualTo(8192);
    }

    @Test
    void securityStraightToFullFeatureDeclaresMaxRecvDataSegmentLength() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        Reply r = i.send(0, true, 3, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=None");
        assertOk(r);
        assertThat(r.out().complete()).isTrue();
        assertThat(r.keys()).containsEntry("MaxRecvDataSegmentLength", "262144");
    }

    /** Runs a CHAP exchange up to the target's challenge; returns {id, challenge}. */
    private static Object[] startChap(Initiator i, String chapA) {
        Reply r = i.send(
                0,
                true,
                1,
                "InitiatorName=" + INITIATOR,
                "SessionType=Normal",
                "TargetName=" + TARGET,
                "AuthMethod=CHAP,None");
        assertOk(r);
        assertThat(r.keys()).containsEntry("AuthMethod", "CHAP").containsEntry("TargetPortalGroupTag", "1");
        assertThat(r.out().transit()).as("no transit before authentication").isFalse();

        r = i.send(0, false, 0, "CHAP_A=" + chapA);
        assertOk(r);
        assertThat(r.keys()).containsEntry("CHAP_A", "5");
        int id = Integer.parseInt(r.get("CHAP_I"));
        assertThat(id).isBetween(0, 255);
        byte[] challenge = Chap.decodeBinary(r.get("CHAP_C"));
        assertThat(r.get("CHAP_C")).startsWith("0x");
        assertThat(challenge).hasSizeGreaterThanOrEqualTo(16);
        return new Object[] {id, challenge};
    }

    @Test
    void chapLogin() {
        Initiator i = new Initiator(new Ctx(2).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        Object[] c = startChap(i, "7,5");
        String resp = Chap.toHex(Chap.response((int) c[0], "initiatorsecret1", (byte[]) c[1]));
        Reply r = i.send(0, true, 1, "CHAP_N=client1", "CHAP_R=" + resp);
        assertOk(r);
        assertThat(r.out().transit()).isTrue();
        assertThat(r.out().nsg()).isEqualTo(1);
        assertThat(r.keys()).doesNotContainKeys("CHAP_N", "CHAP_R");

        r = i.send(1, true, 3, "HeaderDigest=CRC32C,None", "DataDigest=None,CRC32C");
        assertOk(r);
        assertThat(r.out().complete()).isTrue();
        assertThat(r.keys()).containsEntry("HeaderDigest", "CRC32C").containsEntry("DataDigest", "None");
        assertThat(i.negotiator.result().headerDigest()).isTrue();
        assertThat(i.negotiator.result().dataDigest()).isFalse();
    }

    @Test
    void chapResponseInBase64IsAccepted() {
        Initiator i = new Initiator(new Ctx(3).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        Object[] c = startChap(i, "5");
        byte[] resp = Chap.response((int) c[0], "initiatorsecret1", (byte[]) c[1]);
        Reply r = i.send(
                0,
                true,
                3,
                "CHAP_N=client1",
                "CHAP_R=0b" + java.util.Base64.getEncoder().encodeToString(resp));
        assertOk(r);
        assertThat(r.out().complete()).isTrue();
    }

    @Test
    void transitRequestedTooEarlyWaitsForAuthentication() {
        Initiator i = new Initiator(new Ctx(2).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP");
        Reply r = i.send(0, true, 1, "CHAP_A=5");
        assertOk(r);
        assertThat(r.out().transit()).isFalse();
        // the initiator may not change stage on its own
        assertFailed(i.send(1, true, 3), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void mutualChapLogin() {
        Initiator i = new Initiator(new Ctx(4).target(TestLogin.chapTarget(INITIATOR_CHAP, TARGET_CHAP)));
        Object[] c = startChap(i, "5");
        String resp = Chap.toHex(Chap.response((int) c[0], "initiatorsecret1", (byte[]) c[1]));
        byte[] myChallenge = "abcdefghijklmnop".getBytes(StandardCharsets.US_ASCII);
        Reply r = i.send(
                0, true, 1, "CHAP_N=client1", "CHAP_R=" + resp, "CHAP_I=77", "CHAP_C=" + Chap.toHex(myChallenge));
        assertOk(r);
        assertThat(r.out().transit()).isTrue();
        assertThat(r.get("CHAP_N")).isEqualTo("target1");
        byte[] expected = Chap.response(77, "targetsecret123", myChallenge);
        assertThat(Chap.decodeBinary(r.get("CHAP_R"))).isEqualTo(expected);
    }

    @Test
    void mutualChapWithoutTargetSecretFails() {
        Initiator i = new Initiator(new Ctx(4).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        Object[] c = startChap(i, "5");
        String resp = Chap.toHex(Chap.response((int) c[0], "initiatorsecret1", (byte[]) c[1]));
        assertFailed(
                i.send(0, true, 1, "CHAP_N=client1", "CHAP_R=" + resp, "CHAP_I=1", "CHAP_C=0x0102030405"),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void reflectedChallengeIsRefused() {
        Initiator i = new Initiator(new Ctx(5).target(TestLogin.chapTarget(INITIATOR_CHAP, TARGET_CHAP)));
        Object[] c = startChap(i, "5");
        String resp = Chap.toHex(Chap.response((int) c[0], "initiatorsecret1", (byte[]) c[1]));
        assertFailed(
                i.send(
                        0,
                        true,
                        1,
                        "CHAP_N=client1",
                        "CHAP_R=" + resp,
                        "CHAP_I=" + c[0],
                        "CHAP_C=" + Chap.toHex((byte[]) c[1])),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void wrongSecretFails() {
        Initiator i = new Initiator(new Ctx(6).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        Object[] c = startChap(i, "5");
        String resp = Chap.toHex(Chap.response((int) c[0], "wrongsecret12", (byte[]) c[1]));
        assertFailed(i.send(0, true, 1, "CHAP_N=client1", "CHAP_R=" + resp), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void wrongUserFails() {
        Initiator i = new Initiator(new Ctx(6).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        Object[] c = startChap(i, "5");
        String resp = Chap.toHex(Chap.response((int) c[0], "initiatorsecret1", (byte[]) c[1]));
        assertFailed(i.send(0, true, 1, "CHAP_N=someoneelse", "CHAP_R=" + resp), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void garbageResponseFails() {
        Initiator i = new Initiator(new Ctx(6).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        startChap(i, "5");
        assertFailed(i.send(0, true, 1, "CHAP_N=client1", "CHAP_R=0xnothex"), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapWithoutMd5Fails() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP");
        assertFailed(i.send(0, false, 0, "CHAP_A=7,6"), LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapRequiredButInitiatorOffersOnlyNone() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        assertFailed(
                i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=None"),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapRequiredButSecurityStageSkipped() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        assertFailed(
                i.send(1, true, 3, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void chapRequiredButTransitWithoutAuthMethod() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        assertFailed(
                i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void noChapConfiguredPicksNoneFromCombinedOffer() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.openTarget()));
        Reply r = i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=CHAP,None");
        assertOk(r);
        assertThat(r.get("AuthMethod")).isEqualTo("None");
        assertThat(r.out().transit()).isTrue();
    }

    @Test
    void chapKeysOutOfSequenceFail() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.chapTarget(INITIATOR_CHAP, null)));
        assertFailed(
                i.send(
                        0,
                        false,
                        0,
                        "InitiatorName=" + INITIATOR,
                        "TargetName=" + TARGET,
                        "CHAP_N=client1",
                        "CHAP_R=0x00"),
                LoginStatus.AUTHENTICATION_FAILURE);
    }

    @Test
    void securityKeysInOperationalStageAreProtocolErrors() {
        Initiator i = new Initiator(new Ctx(7).target(TestLogin.openTarget()));
        i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "AuthMethod=None");
        assertFailed(i.send(1, false, 0, "CHAP_A=5"), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void missingInitiatorName() {
        Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
        assertFailed(i.send(0, false, 0, "TargetName=" + TARGET, "AuthMethod=None"), LoginStatus.MISSING_PARAMETER);
    }

    @Test
    void missingTargetNameInNormalSession() {
        Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
        assertFailed(
                i.send(0, false, 0, "InitiatorName=" + INITIATOR, "SessionType=Normal"), LoginStatus.MISSING_PARAMETER);
    }

    @Test
    void unknownTarget() {
        Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
        assertFailed(
                i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=iqn.2024-01.io.rbdgw:nope"),
                LoginStatus.NOT_FOUND);
    }

    @Test
    void aclDenial() {
        LoginTarget t = new LoginTarget(TARGET, null, 1, null, null, name -> name.equals("iqn.other"));
        Initiator i = new Initiator(new Ctx(8).target(t));
        assertFailed(
                i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET),
                LoginStatus.AUTHORIZATION_FAILURE);
    }

    @Test
    void malformedInitiatorNameIsAnInitiatorError() {
        for (String bad : new String[] {
            "iqn.1994-05.com.x:a\nFAKE", "iqn.1994-05.com.x:\u001b[2J", "host1", "iqn.2020-01.a:" + "x".repeat(300)
        }) {
            Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
            assertFailed(
                    i.send(0, false, 0, "InitiatorName=" + bad, "TargetName=" + TARGET), LoginStatus.INITIATOR_ERROR);
        }
    }

    @Test
    void initiatorAliasIsMadePrintable() {
        Initiator i = new Initiator(new Ctx(1).target(TestLogin.openTarget()));
        Reply r = i.send(
                1, true, 3, "InitiatorName=" + INITIATOR, "InitiatorAlias=evil\u001b[2J\r\nx", "TargetName=" + TARGET);
        assertOk(r);
        assertThat(i.negotiator.result().initiatorAlias()).isEqualTo("evil\\x1b[2J\\x0d\\x0ax");
    }

    @Test
    void unsupportedSessionType() {
        Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
        assertFailed(
                i.send(0, false, 0, "InitiatorName=" + INITIATOR, "SessionType=Bogus"),
                LoginStatus.SESSION_TYPE_NOT_SUPPORTED);
    }

    @Test
    void unsupportedVersion() {
        Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
        i.versionMin = 1;
        assertFailed(
                i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET),
                LoginStatus.UNSUPPORTED_VERSION);
    }

    @Test
    void connectionForUnknownSession() {
        Initiator i = new Initiator(new Ctx(8).target(TestLogin.openTarget()));
        i.tsih = 5;
        assertFailed(
                i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET),
                LoginStatus.SESSION_DOES_NOT_EXIST);
    }

    @Test
    void stageMismatchAndBadTransitionsAreInitiatorErrors() {
        Initiator i = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        i.send(0, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET);
        assertFailed(i.send(1, false, 0), LoginStatus.INITIATOR_ERROR);

        Initiator j = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        assertFailed(
                j.send(0, true, 2, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET), LoginStatus.INITIATOR_ERROR);
        Initiator k = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        assertFailed(
                k.send(3, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET), LoginStatus.INITIATOR_ERROR);
        Initiator l = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        assertFailed(
                l.send(1, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void keyNegotiatedTwiceIsAProtocolError() {
        Initiator i = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        i.send(1, false, 0, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "MaxBurstLength=65536");
        assertFailed(i.send(1, true, 3, "MaxBurstLength=65536"), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void maxRecvDataSegmentLengthMayBeRedeclared() {
        Initiator i = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET, "MaxRecvDataSegmentLength=4096");
        assertOk(i.send(1, true, 3, "MaxRecvDataSegmentLength=131072"));
        assertThat(i.negotiator.result().initiatorMaxRecvDataSegmentLength()).isEqualTo(131072);
    }

    @Test
    void leadingKeysOnlyInFirstRequest() {
        Initiator i = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET);
        assertFailed(i.send(1, true, 3, "SessionType=Discovery"), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void malformedTextIsAnInitiatorError() {
        Initiator i = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        assertFailed(
                i.sendRaw(0, false, false, 0, "InitiatorName\0".getBytes(StandardCharsets.US_ASCII)),
                LoginStatus.INITIATOR_ERROR);
        Initiator j = new Initiator(new Ctx(9).target(TestLogin.openTarget()));
        assertFailed(j.sendRaw(0, false, false, 0, new byte[] {'I', '=', (byte) 0xff, 0}), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void continuedRequestIsAcknowledgedThenProcessed() {
        Initiator i = new Initiator(new Ctx(10).target(TestLogin.openTarget()));
        byte[] all = TestLogin.text(
                "InitiatorName=" + INITIATOR,
                "TargetName=" + TARGET,
                "AuthMethod=None",
                "X-com.example.long=" + "v".repeat(3000));
        int cut1 = 10;
        int cut2 = 1500; // splits inside a value
        Reply r = i.sendRaw(0, false, true, 0, Arrays.copyOfRange(all, 0, cut1));
        assertOk(r);
        assertThat(r.keys()).isEmpty();
        assertThat(r.out().cont()).isFalse();
        assertThat(r.out().transit()).isFalse();
        r = i.sendRaw(0, false, true, 0, Arrays.copyOfRange(all, cut1, cut2));
        assertOk(r);
        assertThat(r.keys()).isEmpty();
        r = i.sendRaw(0, true, false, 1, Arrays.copyOfRange(all, cut2, all.length));
        assertOk(r);
        assertThat(r.keys())
                .containsEntry("AuthMethod", "None")
                .containsEntry("X-com.example.long", "NotUnderstood")
                .containsEntry("TargetPortalGroupTag", "7");
        assertThat(r.out().transit()).isTrue();
    }

    @Test
    void continuationWithTransitIsAnError() {
        Initiator i = new Initiator(new Ctx(10).target(TestLogin.openTarget()));
        assertFailed(
                i.sendRaw(0, true, true, 1, TestLogin.text("InitiatorName=" + INITIATOR)), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void longResponseIsSplitWithContinuation() throws Exception {
        Initiator i = new Initiator(new Ctx(11).target(TestLogin.openTarget()));
        i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET);
        // 700 unknown keys: each answer "X-kNNN=NotUnderstood" is longer than its offer
        String[] keys = new String[700];
        for (int n = 0; n < keys.length; n++) {
            keys[n] = String.format("X-k%03d=1", n);
        }
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        io.netty.buffer.ByteBuf request = io.netty.buffer.Unpooled.wrappedBuffer(TestLogin.text(keys));
        LoginOutput out = i.negotiator.step(
                new LoginInput(true, false, 1, 3, 0, 0, TestLogin.ISID, 0, 1, request), TestLogin.ALLOC);
        request.release();
        int rounds = 1;
        while (true) {
            assertThat(out.status()).isEqualTo(LoginStatus.SUCCESS);
            assertThat(out.data().readableBytes()).isLessThanOrEqualTo(LoginNegotiator.MAX_RESPONSE_SEGMENT);
            byte[] b = new byte[out.data().readableBytes()];
            out.data().readBytes(b);
            out.data().release();
            all.write(b);
            if (!out.cont()) {
                break;
            }
            assertThat(out.transit()).as("no transit while continuing").isFalse();
            assertThat(out.complete()).isFalse();
            // the initiator acknowledges each part with an empty request
            out = i.negotiator.step(
                    new LoginInput(
                            true, false, 1, 3, 0, 0, TestLogin.ISID, 0, 1, io.netty.buffer.Unpooled.EMPTY_BUFFER),
                    TestLogin.ALLOC);
            rounds++;
        }
        assertThat(rounds).isGreaterThan(1);
        assertThat(out.transit()).isTrue();
        assertThat(out.complete()).isTrue();
        byte[] text = all.toByteArray();
        java.util.List<java.util.Map.Entry<String, String>> answers = TextKeys.parse(text, 0, text.length);
        assertThat(answers).hasSize(701); // 700 answers and the declared MaxRecvDataSegmentLength
        assertThat(answers.get(0)).isEqualTo(java.util.Map.entry("X-k000", "NotUnderstood"));
        assertThat(answers.get(699)).isEqualTo(java.util.Map.entry("X-k699", "NotUnderstood"));
    }

    @Test
    void dataDuringResponseContinuationIsAnError() {
        Initiator i = new Initiator(new Ctx(11).target(TestLogin.openTarget()));
        i.send(0, true, 1, "InitiatorName=" + INITIATOR, "TargetName=" + TARGET);
        String[] keys = new String[700];
        for (int n = 0; n < keys.length; n++) {
            keys[n] = String.format("X-k%03d=1", n);
        }
        i.sendRawUnchecked(1, false, false, 0, TestLogin.text(keys));
        assertFailed(i.send(1, false, 0, "MaxBurstLength=512"), LoginStatus.INITIATOR_ERROR);
    }

    @Test
    void discoverySession() {
        Ctx ctx = new Ctx(12).target(TestLogin.openTarget());
        Initiator i = new Initiator(ctx);
        Reply r = i.send(0, true, 1, "InitiatorName=" + INITIATOR, "SessionType=Discovery", "AuthMethod=None");
        assertOk(r);
        assertThat(r.keys()).doesNotContainKeys("TargetPortalGroupTag", "TargetAlias");
        r = i.send(
                1,
                true,
                3,
                "HeaderDigest=None",
                "DataDigest=None",
                "MaxRecvDataSegmentLength=32768",
                "DefaultTime2Wait=0",
                "DefaultTime2Retain=0",
                "ErrorRecoveryLevel=0",
                "MaxConnections=1",
                "InitialR2T=Yes",
                "ImmediateData=Yes",
                "MaxBurstLength=262144",
                "FirstBurstLength=65536",
                "MaxOutstandingR2T=1",
                "DataPDUInOrder=Yes",
                "DataSequenceInOrder=Yes");
        assertOk(r);
        assertThat(r.out().complete()).isTrue();
        assertThat(r.keys())
                .containsEntry("HeaderDigest", "None")
                .containsEntry("DefaultTime2Wait", "2")
                .containsEntry("DefaultTime2Retain", "0")
                .containsEntry("ErrorRecoveryLevel", "0")
                .containsEntry("MaxRecvDataSegmentLength", "262144");
        for (String k : new String[] {
            "MaxConnections",
            "InitialR2T",
            "ImmediateData",
            "MaxBurstLength",
            "FirstBurstLength",
            "MaxOutstandingR2T",
            "DataPDUInOrder",
            "DataSequenceInOrder"
        }) {
            assertThat(r.get(k)).as(k).isEqualTo("Irrelevant");
        }
        NegotiatedSession s = i.negotiator.result();
        assertThat(s.discovery()).isTrue();
        assertThat(s.target()).isNull();
        assertThat(s.initiatorMaxRecvDataSegmentLength()).isEqualTo(32768);
    }

    @Test
    void discoveryWithChap() {
        Ctx ctx = new Ctx(13);
        ctx.discoveryChap = INITIATOR_CHAP;
        ctx.discoveryMutualChap = TARGET_CHAP;
        Initiator i = new Initiator(ctx);
        Reply r = i.send(0, false, 0, "InitiatorName=" + INITIATOR, "SessionType=Discovery", "AuthMethod=None,CHAP");
        assertOk(r);
        assertThat(r.get("AuthMethod")).isEqualTo("CHAP");
        r = i.send(0, false, 0, "CHAP_A=5");
        int id = Integer.parseInt(r.get("CHAP_I"));
        byte[] ch = Chap.decodeBinary(r.get("CHAP_C"));
        r = i.send(
                0,
                true,
                3,
                "CHAP_N=client1",
                "CHAP_R=" + Chap.toHex(Chap.response(id, "initiatorsecret1", ch)),
                "CHAP_I=3",
                "CHAP_C=0x00112233445566778899");
        assertOk(r);
        assertThat(r.out().complete()).isTrue();
        assertThat(r.get("CHAP_N")).isEqualTo("target1");
        assertThat(i.negotiator.result().discovery()).isTrue();
    }

    @Test
    void discoveryWithoutChapWhenRequiredFails() {
        Ctx ctx = new Ctx(13);
        ctx.discoveryChap = INITIATOR_CHAP;
        Initiator i = new Initiator(ctx);
        assertFailed(
                i.send(1, true, 3, "InitiatorName=" + INITIATOR, "SessionType=Discovery"),
                LoginStatus.AUTHENTICATION_FAILURE);
    }
}
