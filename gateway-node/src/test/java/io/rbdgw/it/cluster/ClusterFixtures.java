package io.rbdgw.it.cluster;

import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import io.rbdgw.iscsi.pdu.DataIn;
import io.rbdgw.iscsi.pdu.ScsiResponse;
import io.rbdgw.iscsi.session.TestInitiator;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.TreeMap;

/** What the cluster ITs ask of a host's session: its view of the ALUA states and of the LUN's readiness. */
final class ClusterFixtures {

    private ClusterFixtures() {}

    /** REPORT TARGET PORT GROUPS on LUN 0 as group id -> state; throws on CHECK CONDITION. */
    static Map<Integer, Integer> states(TestInitiator host) throws Exception {
        byte[] cdb = {(byte) 0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0};
        host.send(host.command(cdb, true, false, 1024, Unpooled.EMPTY_BUFFER, true));
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        while (true) {
            Object o = host.poll(5000);
            try {
                if (o instanceof ScsiResponse r) {
                    if (r.status() != 0) {
                        throw new IllegalStateException(
                                String.format("CHECK CONDITION %06x", TestInitiator.senseKeyAscAscq(r)));
                    }
                    break;
                }
                if (!(o instanceof DataIn d)) {
                    throw new AssertionError("unexpected " + o);
                }
                byte[] b = new byte[d.data().readableBytes()];
                d.data().getBytes(d.data().readerIndex(), b);
                data.write(b);
                if (d.hasStatus()) {
                    break;
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        byte[] d = data.toByteArray();
        int len = ((d[0] & 0xff) << 24 | (d[1] & 0xff) << 16 | (d[2] & 0xff) << 8 | d[3] & 0xff) + 4;
        Map<Integer, Integer> out = new TreeMap<>();
        for (int i = 4; i < len; ) {
            int ports = d[i + 7] & 0xff;
            out.put((d[i + 2] & 0xff) << 8 | d[i + 3] & 0xff, d[i] & 0x0f);
            i += 8 + 4 * ports;
        }
        return out;
    }

    /** TEST UNIT READY on LUN 0: 0 for GOOD, else sense key/ASC/ASCQ as 0xKKAAQQ. */
    static int testUnitReady(TestInitiator host) throws InterruptedException {
        host.send(host.command(new byte[6], false, false, 0, Unpooled.EMPTY_BUFFER, true));
        ScsiResponse r = host.expect(ScsiResponse.class, 5000);
        try {
            return r.status() == 0 ? 0 : TestInitiator.senseKeyAscAscq(r);
        } finally {
            r.release();
        }
    }
}
