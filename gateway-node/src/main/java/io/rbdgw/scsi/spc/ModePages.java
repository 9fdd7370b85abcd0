package io.rbdgw.scsi.spc;

import io.netty.buffer.ByteBuf;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.Cdbs;
import io.rbdgw.scsi.Completions;
import io.rbdgw.scsi.LogicalUnit;
import io.rbdgw.scsi.ScsiError;
import io.rbdgw.scsi.ScsiOpcodes;
import io.rbdgw.scsi.ScsiStatus;
import io.rbdgw.scsi.ScsiTask;
import io.rbdgw.scsi.SenseData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MODE SENSE 6/10 and MODE SELECT 6/10 with the caching (0x08), control (0x0A) and informational
 * exceptions control (0x1C) pages. The only changeable field is SWP (software write protect) in the
 * control page; MODE SELECT accepts pages equal to the current ones apart from that bit (hosts write
 * back what they read) and rejects any other change with 05/26/00. While SWP is set the
 * DEVICE-SPECIFIC PARAMETER reports WP. SWP lives with the logical unit's reservations, so an RBD disk's is
 * the same on every gateway (docs/ha.md).
 */
public final class ModePages {

    private static final Logger LOG = LoggerFactory.getLogger(ModePages.class);

    static final int CACHING = 0x08;
    static final int CONTROL = 0x0A;
    static final int INFORMATIONAL_EXCEPTIONS = 0x1C;
    static final int ALL = 0x3F;
    private static final int[] PAGES = {CACHING, CONTROL, INFORMATIONAL_EXCEPTIONS};

    /** DEVICE-SPECIFIC PARAMETER: DPOFUA=1 (WP is added while software write protected). */
    static final int DEVICE_SPECIFIC = 0x10;
    /** WP in the DEVICE-SPECIFIC PARAMETER. */
    static final int WP = 0x80;
    /** SWP in byte 4 of the control page. */
    static final int SWP = 0x08;

    private ModePages() {}

    public static void modeSense(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        boolean ten = (cdb[0] & 0xff) == ScsiOpcodes.MODE_SENSE_10;
        boolean dbd = (cdb[1] & 0x08) != 0;
        boolean llbaa = ten && (cdb[1] & 0x10) != 0;
        int pc = (cdb[2] & 0xC0) >>> 6;
        int page = cdb[2] & 0x3F;
        int subpage = cdb[3] & 0xff;
        int alloc = ten ? Cdbs.u16(cdb, 7) : Cdbs.u8(cdb, 4);
        if (pc == 3) {
            throw ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x39, 0x00);
        }
        if (page == ALL) {
            if (subpage != 0 && subpage != 0xFF) {
                throw ScsiError.invalidCdb(3, -1);
            }
        } else {
            if (!known(page)) {
                throw ScsiError.invalidCdb(2, 5);
            }
            if (subpage != 0) {
                throw ScsiError.invalidCdb(3, -1);
            }
        }
        DeviceInfo info = lu.info();
        int bdLen = dbd ? 0 : llbaa ? 16 : 8;
        boolean swp = lu.softwareWriteProtected();
        int deviceSpecific = DEVICE_SPECIFIC | (swp ? WP : 0);
        ByteBuf b = task.alloc().buffer(64);
        if (ten) {
            b.writeShort(0)
                    .writeByte(0)
                    .writeByte(deviceSpecific)
                    .writeByte(llbaa && !dbd ? 1 : 0)
                    .writeByte(0)
                    .writeShort(bdLen);
        } else {
            b.writeByte(0).writeByte(0).writeByte(deviceSpecific).writeByte(bdLen);
        }
        if (bdLen == 8) {
            long blocks = info.blockCount();
            b.writeInt(blocks > 0xFFFF_FFFFL ? -1 : (int) blocks).writeByte(0).writeMedium(info.blockSize());
        } else if (bdLen == 16) {
            b.writeLong(info.blockCount()).writeInt(0).writeInt(info.blockSize());
        }
        for (int p : PAGES) {
            if (page == ALL || page == p) {
                writePage(b, p, pc == 1, info, swp && pc != 2); // default values: SWP 0
            }
        }
        if (ten) {
            b.setShort(0, b.writerIndex() - 2);
        } else {
            b.setByte(0, b.writerIndex() - 1);
        }
        Completions.data(task, b, alloc);
    }

    public static void modeSelect(LogicalUnit lu, ScsiTask task, byte[] cdb) {
        boolean ten = (cdb[0] & 0xff) == ScsiOpcodes.MODE_SELECT_10;
        if ((cdb[1] & 0x10) == 0) {
            throw ScsiError.invalidCdb(1, 4); // PF=0: vendor-specific pages, none supported
        }
        int len = ten ? Cdbs.u16(cdb, 7) : Cdbs.u8(cdb, 4);
        if (len == 0) {
            Completions.good(task, -1);
            return;
        }
        int header = ten ? 8 : 4;
        if (len < header) {
            throw ScsiError.parameterListLength().withTransferLength(len);
        }
        ByteBuf out = task.dataOut();
        if (out == null || out.readableBytes() < len) {
            throw ScsiError.shortDataOut(len);
        }
        int base = out.readerIndex();
        DeviceInfo info = lu.info();
        try {
            int bdLen = ten ? out.getUnsignedShort(base + 6) : out.getUnsignedByte(base + 3);
            boolean longLba = ten && (out.getByte(base + 4) & 0x01) != 0;
            int bdSize = longLba ? 16 : 8;
            if (bdLen % bdSize != 0 || bdLen > bdSize || header + bdLen > len) {
                throw ScsiError.invalidParameter(ten ? 6 : 3, -1);
            }
            if (bdLen > 0) {
                int at = header + (longLba ? 12 : 5);
                int blockLength = longLba ? out.getInt(base + at) : out.getUnsignedMedium(base + at);
                if (blockLength != info.blockSize()) {
                    throw ScsiError.invalidParameter(at, -1);
                }
            }
            int off = header + bdLen;
            Boolean newSwp = null;
            ByteBuf current = task.alloc().heapBuffer(32);
            ByteBuf changeable = task.alloc().heapBuffer(32);
            try {
                while (off < len) {
                    if (off + 2 > len) {
                        throw ScsiError.parameterListLength();
                    }
                    int code = out.getByte(base + off) & 0x3F;
                    if ((out.getByte(base + off) & 0x40) != 0 || !known(code)) {
                        throw ScsiError.invalidParameter(off, (out.getByte(base + off) & 0x40) != 0 ? 6 : 5);
                    }
                    current.clear();
                    writePage(current, code, false, info, lu.softwareWriteProtected());
                    changeable.clear();
                    writePage(changeable, code, true, info, false);
                    int pageLen = out.getUnsignedByte(base + off + 1);
                    if (pageLen != current.readableBytes() - 2) {
                        throw ScsiError.invalidParameter(off + 1, -1);
                    }
                    if (off + 2 + pageLen > len) {
                        throw ScsiError.parameterListLength();
                    }
                    for (int i = 2; i < 2 + pageLen; i++) {
                        int diff = (out.getByte(base + off + i) ^ current.getByte(i)) & ~changeable.getByte(i) & 0xff;
                        if (diff != 0) {
                            throw ScsiError.invalidParameter(off + i, Cdbs.highestBit(diff));
                        }
                    }
                    if (code == CONTROL) {
                        newSwp = (out.getByte(base + off + 4) & SWP) != 0;
                    }
                    off += 2 + pageLen;
                }
            } finally {
                current.release();
                changeable.release();
            }
            // applied only once the whole parameter list has been accepted
            if (newSwp != null) {
                changeSoftwareWriteProtect(lu, task, newSwp, len);
                return;
            }
        } catch (ScsiError e) {
            throw e.withTransferLength(len);
        }
        Completions.good(task, len);
    }

    /**
     * GOOD once the new SWP is in force on every gateway serving the logical unit (a cluster store answers from
     * its own thread, never blocking the event loop); BUSY when it could not be stored or applied everywhere.
     */
    private static void changeSoftwareWriteProtect(LogicalUnit lu, ScsiTask task, boolean swp, int len) {
        lu.setSoftwareWriteProtect(swp, task.nexus()).whenComplete((x, error) -> {
            if (error != null) {
                LOG.warn(
                        "LUN {}: MODE SELECT setting SWP={} ends BUSY: {}",
                        lu.lun(),
                        swp ? 1 : 0,
                        error.getCause() != null ? error.getCause().toString() : error.toString());
                task.complete(ScsiStatus.BUSY, null, null, len);
            } else {
                Completions.good(task, len);
            }
        });
    }

    private static boolean known(int page) {
        for (int p : PAGES) {
            if (p == page) {
                return true;
            }
        }
        return false;
    }

    /** Writes one page: current/default values, or the changeable mask (only SWP is changeable). */
    static void writePage(ByteBuf b, int page, boolean changeable, DeviceInfo info, boolean swp) {
        switch (page) {
            case CACHING:
                b.writeByte(CACHING).writeByte(0x12);
                b.writeByte(changeable || !info.volatileWriteCache() ? 0 : 0x04); // WCE
                b.writeZero(0x12 - 1);
                break;
            case CONTROL:
                b.writeByte(CONTROL).writeByte(0x0A);
                if (changeable) {
                    b.writeZero(2).writeByte(SWP).writeZero(7);
                } else {
                    b.writeByte(0x02); // TST=0, D_SENSE=0, GLTSD=1
                    b.writeByte(0x10); // QUEUE ALGORITHM MODIFIER 1 (unrestricted), QERR=0
                    b.writeByte(swp ? SWP : 0x00);
                    b.writeByte(0x00); // TAS=0
                    b.writeZero(6);
                }
                break;
            case INFORMATIONAL_EXCEPTIONS:
                b.writeByte(INFORMATIONAL_EXCEPTIONS).writeByte(0x0A);
                b.writeByte(changeable ? 0 : 0x08); // DEXCPT: no informational exception reporting
                b.writeZero(9);
                break;
            default:
                throw new IllegalArgumentException("page " + page);
        }
    }
}
