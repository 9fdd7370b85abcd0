package io.rbdgw.scsi;

import io.rbdgw.scsi.sbc.Capacity;
import io.rbdgw.scsi.sbc.CacheCommands;
import io.rbdgw.scsi.sbc.CompareAndWrite;
import io.rbdgw.scsi.sbc.DefectData;
import io.rbdgw.scsi.sbc.ReadWrite;
import io.rbdgw.scsi.sbc.Unmap;
import io.rbdgw.scsi.sbc.WriteAtomic;
import io.rbdgw.scsi.sbc.WriteSame;
import io.rbdgw.scsi.spc.BasicCommands;
import io.rbdgw.scsi.spc.Inquiry;
import io.rbdgw.scsi.spc.ModePages;
import io.rbdgw.scsi.spc.ReportLuns;
import io.rbdgw.scsi.spc.RequestSense;
import io.rbdgw.scsi.spc.SupportedOpcodes;
import io.rbdgw.scsi.spc.TargetPortGroupsReport;
import io.rbdgw.scsi.xcopy.CopyCommands;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The commands a logical unit supports: the dispatch table and the source of REPORT SUPPORTED
 * OPERATION CODES. Immutable after construction.
 */
public final class CommandTable {

    /** The table of the SBC-3 direct-access block device. */
    public static final CommandTable SBC = sbc();

    private final CommandSpec[] plain = new CommandSpec[256];
    private final CommandSpec[][] byServiceAction = new CommandSpec[256][];
    private final List<CommandSpec> all = new ArrayList<>();

    private CommandTable() {
    }

    /** The command {@code cdb} names, or null if unsupported. */
    public CommandSpec lookup(byte[] cdb) {
        int op = cdb[0] & 0xff;
        CommandSpec[] sas = byServiceAction[op];
        if (sas != null) {
            return sas[cdb[1] & 0x1f];
        }
        return plain[op];
    }

    /** The command with this opcode and service action (-1: none), or null. */
    public CommandSpec find(int opcode, int serviceAction) {
        CommandSpec[] sas = byServiceAction[opcode & 0xff];
        if (sas != null) {
            return serviceAction >= 0 && serviceAction < 32 ? sas[serviceAction] : null;
        }
        return serviceAction < 0 ? plain[opcode & 0xff] : null;
    }

    /** Whether the opcode's commands are told apart by a service action in CDB byte 1. */
    public boolean hasServiceActions(int opcode) {
        return byServiceAction[opcode & 0xff] != null;
    }

    /** Every supported command, in opcode / service action order. */
    public List<CommandSpec> all() {
        return Collections.unmodifiableList(all);
    }

    /** The error for an unsupported command: unknown opcode or unknown service action. */
    ScsiError unsupported(byte[] cdb) {
        if (hasServiceActions(cdb[0])) {
            return ScsiError.invalidCdb(1, 4);
        }
        return ScsiError.check(SenseData.ILLEGAL_REQUEST, 0x20, 0x00);
    }

    private CommandTable add(int opcode, int sa, String name, boolean uaExempt, int timeout, CommandHandler h,
                             int... usage) {
        byte[] u = new byte[usage.length];
        for (int i = 0; i < usage.length; i++) {
            u[i] = (byte) usage[i];
        }
        if ((u[0] & 0xff) != opcode || u.length != Cdbs.cdbLength(opcode)) {
            throw new IllegalArgumentException("bad usage data for " + name);
        }
        CommandSpec spec = new CommandSpec(opcode, sa, name, u, uaExempt, timeout, timeout == 0 ? 0 : timeout * 2,
                h, direction(opcode));
        if (sa >= 0) {
            if (plain[opcode] != null) {
                throw new IllegalArgumentException("opcode used with and without service action: " + name);
            }
            if (byServiceAction[opcode] == null) {
                byServiceAction[opcode] = new CommandSpec[32];
            }
            byServiceAction[opcode][sa] = spec;
        } else {
            plain[opcode] = spec;
        }
        all.add(spec);
        return this;
    }

    /**
     * The data direction of a supported opcode. Data-out: the commands whose handlers read the data-out
     * (VERIFY with BYTCHK, WRITE SAME, MODE SELECT, PERSISTENT RESERVE OUT, EXTENDED COPY included); no
     * data: the ones that only act; data-in: all others.
     */
    private static int direction(int opcode) {
        return switch (opcode) {
            case 0x0A, 0x2A, 0x2E, 0x2F, 0xAA, 0xAE, 0xAF, 0x8A, 0x8E, 0x8F, 0x89, 0x9C, 0x41, 0x93, 0x42, 0x15,
                 0x55, 0x5F, 0x83 -> CommandSpec.DATA_OUT;
            case 0x00, 0x16, 0x17, 0x1B, 0x1E, 0x34, 0x90, 0x35, 0x91, 0x56, 0x57 -> CommandSpec.NO_DATA;
            default -> CommandSpec.DATA_IN;
        };
    }

    private CommandTable add(int opcode, String name, CommandHandler h, int... usage) {
        return add(opcode, -1, name, false, 0, h, usage);
    }

    private static final int C = 0x00; // CONTROL byte: NACA and LINK not supported

    private static CommandTable sbc() {
        CommandTable t = new CommandTable();
        t.add(0x00, "TEST UNIT READY", BasicCommands::testUnitReady, 0x00, 0, 0, 0, 0, C);
        t.add(0x03, -1, "REQUEST SENSE", true, 0, RequestSense::execute, 0x03, 0x01, 0, 0, 0xFF, C);
        t.add(0x08, "READ(6)", ReadWrite::read, 0x08, 0x1F, 0xFF, 0xFF, 0xFF, C);
        t.add(0x0A, "WRITE(6)", ReadWrite::write, 0x0A, 0x1F, 0xFF, 0xFF, 0xFF, C);
        t.add(0x12, -1, "INQUIRY", true, 0, Inquiry::execute, 0x12, 0x01, 0xFF, 0xFF, 0xFF, C);
        t.add(0x15, "MODE SELECT(6)", ModePages::modeSelect, 0x15, 0x10, 0, 0, 0xFF, C);
        t.add(0x16, "RESERVE(6)", BasicCommands::reserve, 0x16, 0, 0, 0, 0, C);
        t.add(0x17, "RELEASE(6)", BasicCommands::release, 0x17, 0, 0, 0, 0, C);
        t.add(0x1A, "MODE SENSE(6)", ModePages::modeSense, 0x1A, 0x08, 0xFF, 0xFF, 0xFF, C);
        t.add(0x1B, "START STOP UNIT", BasicCommands::startStopUnit, 0x1B, 0x01, 0, 0x0F, 0xF7, C);
        t.add(0x1E, "PREVENT ALLOW MEDIUM REMOVAL", BasicCommands::preventAllow, 0x1E, 0, 0, 0, 0x03, C);
        t.add(0x25, "READ CAPACITY(10)", Capacity::readCapacity10, 0x25, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x01, C);
        t.add(0x28, "READ(10)", ReadWrite::read, 0x28, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x2A, "WRITE(10)", ReadWrite::write, 0x2A, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x2E, "WRITE AND VERIFY(10)", ReadWrite::write,
                0x2E, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x2F, "VERIFY(10)", ReadWrite::verify, 0x2F, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x34, "PRE-FETCH(10)", CacheCommands::preFetch, 0x34, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x35, "SYNCHRONIZE CACHE(10)", CacheCommands::synchronizeCache,
                0x35, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x37, "READ DEFECT DATA(10)", DefectData::readDefectData10, 0x37, 0, 0x1F, 0, 0, 0, 0, 0xFF, 0xFF, C);
        t.add(0x41, "WRITE SAME(10)", WriteSame::execute, 0x41, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(0x42, "UNMAP", Unmap::execute, 0x42, 0, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, C);
        t.add(0x4D, "LOG SENSE", BasicCommands::logSense, 0x4D, 0, 0xFF, 0xFF, 0, 0xFF, 0xFF, 0xFF, 0xFF, C);
        t.add(0x55, "MODE SELECT(10)", ModePages::modeSelect, 0x55, 0x10, 0, 0, 0, 0, 0, 0xFF, 0xFF, C);
        t.add(0x56, "RESERVE(10)", BasicCommands::reserve, 0x56, 0, 0, 0, 0, 0, 0, 0, 0, C);
        t.add(0x57, "RELEASE(10)", BasicCommands::release, 0x57, 0, 0, 0, 0, 0, 0, 0, 0, C);
        t.add(0x5A, "MODE SENSE(10)", ModePages::modeSense, 0x5A, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, C);
        String[] prIn = {"READ KEYS", "READ RESERVATION", "REPORT CAPABILITIES", "READ FULL STATUS"};
        for (int sa = 0; sa < prIn.length; sa++) {
            t.add(0x5E, sa, "PERSISTENT RESERVE IN/" + prIn[sa], false, 0, BasicCommands::persistentReserveIn,
                    0x5E, 0x1F, 0, 0, 0, 0, 0, 0xFF, 0xFF, C);
        }
        String[] prOut = {"REGISTER", "RESERVE", "RELEASE", "CLEAR", "PREEMPT", "PREEMPT AND ABORT",
            "REGISTER AND IGNORE EXISTING KEY", "REGISTER AND MOVE"};
        for (int sa = 0; sa < prOut.length; sa++) {
            t.add(0x5F, sa, "PERSISTENT RESERVE OUT/" + prOut[sa], false, 0, BasicCommands::persistentReserveOut,
                    0x5F, 0x1F, 0xFF, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, C);
        }
        t.add(0x83, 0x00, "EXTENDED COPY(LID1)", false, 0, CopyCommands::extendedCopy, 0x83, 0x1F, 0, 0, 0, 0, 0,
                0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, C);
        t.add(0x84, 0x00, "RECEIVE COPY RESULTS/COPY STATUS", false, 0, CopyCommands::receiveCopyResults, 0x84,
                0x1F, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, C);
        t.add(0x84, 0x03, "RECEIVE COPY RESULTS/OPERATING PARAMETERS", false, 0, CopyCommands::receiveCopyResults,
                0x84, 0x1F, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, C);
        t.add(0x88, "READ(16)", ReadWrite::read, 0x88, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0x89, "COMPARE AND WRITE", CompareAndWrite::execute, 0x89, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0, 0, 0, 0xFF, 0x1F, C);
        t.add(0x8A, "WRITE(16)", ReadWrite::write, 0x8A, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0x8E, "WRITE AND VERIFY(16)", ReadWrite::write, 0x8E, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0x8F, "VERIFY(16)", ReadWrite::verify, 0x8F, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0x90, "PRE-FETCH(16)", CacheCommands::preFetch, 0x90, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0x91, "SYNCHRONIZE CACHE(16)", CacheCommands::synchronizeCache, 0x91, 0x02, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0x93, "WRITE SAME(16)", WriteSame::execute, 0x93, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        // bytes 10-11 ATOMIC BOUNDARY: must be 0 (no maximum atomic boundary size)
        t.add(0x9C, "WRITE ATOMIC(16)", WriteAtomic::execute, 0x9C, 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0, 0, 0xFF, 0xFF, 0x1F, C);
        t.add(0x9E, 0x10, "READ CAPACITY(16)", false, 0, Capacity::readCapacity16, 0x9E, 0x1F, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, C);
        t.add(0x9E, 0x12, "GET LBA STATUS", false, 0, Capacity::getLbaStatus, 0x9E, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, C);
        t.add(0xA0, -1, "REPORT LUNS", true, 0, ReportLuns::execute, 0xA0, 0, 0xFF, 0, 0, 0, 0xFF, 0xFF, 0xFF,
                0xFF, 0, C);
        t.add(0xA3, 0x0A, "REPORT TARGET PORT GROUPS", false, 0, TargetPortGroupsReport::execute, 0xA3, 0xFF, 0,
                0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0, C);
        t.add(0xA3, 0x0C, "REPORT SUPPORTED OPERATION CODES", false, 0, SupportedOpcodes::execute, 0xA3, 0x1F,
                0x87, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, C);
        t.add(0xA8, "READ(12)", ReadWrite::read, 0xA8, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(0xAA, "WRITE(12)", ReadWrite::write, 0xAA, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F,
                C);
        t.add(0xAE, "WRITE AND VERIFY(12)", ReadWrite::write, 0xAE, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0x1F, C);
        t.add(0xAF, "VERIFY(12)", ReadWrite::verify, 0xAF, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0x1F, C);
        t.add(0xB7, "READ DEFECT DATA(12)", DefectData::readDefectData12, 0xB7, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF, 0xFF, 0, C);
        return t;
    }
}
