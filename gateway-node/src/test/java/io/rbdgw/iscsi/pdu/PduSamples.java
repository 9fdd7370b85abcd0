package io.rbdgw.iscsi.pdu;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** One PDU of every type with random field values in their wire ranges. */
final class PduSamples {
    private PduSamples() {}

    static ByteBuf data(Random r, int length) {
        if (length == 0) {
            return Unpooled.EMPTY_BUFFER;
        }
        byte[] b = new byte[length];
        r.nextBytes(b);
        return Unpooled.wrappedBuffer(b);
    }

    /** Initiator PDUs; those that may carry data get {@code dataLength} random bytes. */
    static List<IscsiPdu> initiator(Random r, int dataLength) {
        List<IscsiPdu> l = new ArrayList<>();
        l.add(new NopOut(
                r.nextBoolean(),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        byte[] cdb = new byte[r.nextBoolean() ? 16 : 16 + 1 + r.nextInt(40)];
        r.nextBytes(cdb);
        l.add(new ScsiCommand(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextInt(8),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                cdb,
                data(r, dataLength)));
        l.add(new TaskManagementRequest(
                r.nextBoolean(),
                r.nextInt(128),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt()));
        l.add(new LoginRequest(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextInt(4),
                r.nextInt(4),
                r.nextInt(256),
                r.nextInt(256),
                r.nextLong() >>> 16,
                r.nextInt(65536),
                r.nextInt(),
                r.nextInt(65536),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        l.add(new TextRequest(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        l.add(new DataOut(
                r.nextBoolean(),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        l.add(new LogoutRequest(
                r.nextBoolean(), r.nextInt(128), r.nextInt(), r.nextInt(65536), r.nextInt(), r.nextInt()));
        l.add(new SnackRequest(
                r.nextInt(16), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()));
        return l;
    }

    /** Target PDUs; those that may carry data get {@code dataLength} random bytes. */
    static List<IscsiPdu> target(Random r, int dataLength) {
        List<IscsiPdu> l = new ArrayList<>();
        l.add(new NopIn(
                r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), data(r, dataLength)));
        l.add(new ScsiResponse(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextInt(256),
                r.nextInt(256),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        l.add(new TaskManagementResponse(r.nextInt(256), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt()));
        l.add(new LoginResponse(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextInt(4),
                r.nextInt(4),
                r.nextInt(256),
                r.nextInt(256),
                r.nextLong() >>> 16,
                r.nextInt(65536),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(256),
                r.nextInt(256),
                data(r, dataLength)));
        l.add(new TextResponse(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        l.add(new DataIn(
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextBoolean(),
                r.nextInt(256),
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                data(r, dataLength)));
        l.add(new LogoutResponse(
                r.nextInt(256),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(65536),
                r.nextInt(65536)));
        l.add(new R2t(
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt()));
        l.add(new AsyncMessage(
                r.nextLong(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(),
                r.nextInt(256),
                r.nextInt(256),
                r.nextInt(65536),
                r.nextInt(65536),
                r.nextInt(65536),
                data(r, dataLength)));
        l.add(new Reject(r.nextInt(256), r.nextInt(), r.nextInt(), r.nextInt(), r.nextInt(), data(r, dataLength)));
        return l;
    }

    /** Asserts the decoded PDU equals the one that was encoded (CDBs compared by content). */
    static void assertSamePdu(Object actual, IscsiPdu expected) {
        assertThat(actual).isInstanceOf(expected.getClass());
        if (expected instanceof ScsiCommand) {
            ScsiCommand e = (ScsiCommand) expected;
            ScsiCommand a = (ScsiCommand) actual;
            assertThat(a.cdb()).isEqualTo(e.cdb());
            // cdb arrays compare by identity in the record's equals: swap in the decoded one
            expected = new ScsiCommand(
                    e.immediate(),
                    e.finalFlag(),
                    e.read(),
                    e.write(),
                    e.taskAttributes(),
                    e.lun(),
                    e.itt(),
                    e.expectedDataTransferLength(),
                    e.cmdSN(),
                    e.expStatSN(),
                    a.cdb(),
                    e.data());
        }
        assertThat(actual).isEqualTo(expected);
    }
}
