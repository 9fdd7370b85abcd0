package io.rbdgw.scsi;

import static io.rbdgw.scsi.ScsiOpcodes.*;

import io.rbdgw.scsi.odx.TokenCommands;
import io.rbdgw.scsi.sbc.CacheCommands;
import io.rbdgw.scsi.sbc.Capacity;
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

    private CommandTable() {}

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

    private CommandTable add(
            int opcode, int sa, String name, boolean uaExempt, int timeout, CommandHandler h, int... usageAfterOpcode) {
        byte[] u = new byte[usageAfterOpcode.length + 1];
        u[0] = (byte) opcode;
        for (int i = 0; i < usageAfterOpcode.length; i++) {
            u[i + 1] = (byte) usageAfterOpcode[i];
        }
        if (u.length != Cdbs.cdbLength(opcode)) {
            throw new IllegalArgumentException("bad usage data for " + name);
        }
        boolean writes = writesMedium(opcode);
        CommandSpec spec = new CommandSpec(
                opcode,
                sa,
                name,
                u,
                uaExempt,
                timeout,
                timeout == 0 ? 0 : timeout * 2,
                h,
                direction(opcode),
                writes,
                writes, // EXTENDED COPY passes each destination's gate per chunk instead (CopyJob)
                reservationAccess(opcode, sa));
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
            case WRITE_6,
                    WRITE_10,
                    WRITE_12,
                    WRITE_16,
                    WRITE_AND_VERIFY_10,
                    WRITE_AND_VERIFY_12,
                    WRITE_AND_VERIFY_16,
                    VERIFY_10,
                    VERIFY_12,
                    VERIFY_16,
                    COMPARE_AND_WRITE,
                    WRITE_ATOMIC_16,
                    WRITE_SAME_10,
                    WRITE_SAME_16,
                    UNMAP,
                    MODE_SELECT_6,
                    MODE_SELECT_10,
                    PERSISTENT_RESERVE_OUT,
                    EXTENDED_COPY -> CommandSpec.DATA_OUT;
            case TEST_UNIT_READY,
                    RESERVE_6,
                    RELEASE_6,
                    START_STOP_UNIT,
                    PREVENT_ALLOW_MEDIUM_REMOVAL,
                    PRE_FETCH_10,
                    PRE_FETCH_16,
                    SYNCHRONIZE_CACHE_10,
                    SYNCHRONIZE_CACHE_16,
                    RESERVE_10,
                    RELEASE_10 -> CommandSpec.NO_DATA;
            default -> CommandSpec.DATA_IN;
        };
    }

    /**
     * Whether the opcode changes the medium itself: refused while software write protected (SWP) and,
     * with EXTENDED COPY, admitted only under the disk's write token.
     */
    private static boolean writesMedium(int opcode) {
        return switch (opcode) {
            case WRITE_6,
                    WRITE_10,
                    WRITE_12,
                    WRITE_16,
                    WRITE_AND_VERIFY_10,
                    WRITE_AND_VERIFY_12,
                    WRITE_AND_VERIFY_16,
                    WRITE_SAME_10,
                    WRITE_SAME_16,
                    UNMAP,
                    COMPARE_AND_WRITE,
                    WRITE_ATOMIC_16 -> true;
            default -> false;
        };
    }

    /**
     * What a persistent reservation held by another nexus lets through (SPC-4 5.13.1, SBC-3 4.18), for the
     * commands of this table. Mirrors {@code io.rbdgw.scsi.pr.PrAccess#category}, which decides today
     * (CommandTableTest checks that they agree).
     */
    private static CommandSpec.Reservation reservationAccess(int opcode, int sa) {
        return switch (opcode) {
            case TEST_UNIT_READY,
                    REQUEST_SENSE,
                    INQUIRY,
                    READ_CAPACITY_10,
                    LOG_SENSE,
                    PERSISTENT_RESERVE_IN,
                    PERSISTENT_RESERVE_OUT,
                    REPORT_LUNS,
                    MAINTENANCE_IN -> CommandSpec.Reservation.ALLOWED;
            case SERVICE_ACTION_IN_16 ->
                sa == SA_READ_CAPACITY_16
                        ? CommandSpec.Reservation.ALLOWED
                        : sa == SA_GET_LBA_STATUS ? CommandSpec.Reservation.READ : CommandSpec.Reservation.CONFLICT;
            case START_STOP_UNIT, PREVENT_ALLOW_MEDIUM_REMOVAL -> CommandSpec.Reservation.BY_CDB;
            case READ_6,
                    READ_10,
                    READ_12,
                    READ_16,
                    VERIFY_10,
                    VERIFY_12,
                    VERIFY_16,
                    MODE_SENSE_6,
                    MODE_SENSE_10,
                    READ_BUFFER,
                    RECEIVE_DIAGNOSTIC_RESULTS,
                    READ_DEFECT_DATA_10,
                    READ_DEFECT_DATA_12 -> CommandSpec.Reservation.READ;
            default -> CommandSpec.Reservation.CONFLICT;
        };
    }

    private CommandTable add(int opcode, String name, CommandHandler h, int... usageAfterOpcode) {
        return add(opcode, -1, name, false, 0, h, usageAfterOpcode);
    }

    private static final int C = 0x00; // CONTROL byte: NACA and LINK not supported

    private static CommandTable sbc() {
        CommandTable t = new CommandTable();
        t.add(TEST_UNIT_READY, "TEST UNIT READY", BasicCommands::testUnitReady, 0, 0, 0, 0, C);
        t.add(REQUEST_SENSE, -1, "REQUEST SENSE", true, 0, RequestSense::execute, 0x01, 0, 0, 0xFF, C);
        t.add(READ_6, "READ(6)", ReadWrite::read, 0x1F, 0xFF, 0xFF, 0xFF, C);
        t.add(WRITE_6, "WRITE(6)", ReadWrite::write, 0x1F, 0xFF, 0xFF, 0xFF, C);
        t.add(INQUIRY, -1, "INQUIRY", true, 0, Inquiry::execute, 0x01, 0xFF, 0xFF, 0xFF, C);
        t.add(MODE_SELECT_6, "MODE SELECT(6)", ModePages::modeSelect, 0x10, 0, 0, 0xFF, C);
        t.add(RESERVE_6, "RESERVE(6)", BasicCommands::reserve, 0, 0, 0, 0, C);
        t.add(RELEASE_6, "RELEASE(6)", BasicCommands::release, 0, 0, 0, 0, C);
        t.add(MODE_SENSE_6, "MODE SENSE(6)", ModePages::modeSense, 0x08, 0xFF, 0xFF, 0xFF, C);
        t.add(START_STOP_UNIT, "START STOP UNIT", BasicCommands::startStopUnit, 0x01, 0, 0x0F, 0xF7, C);
        t.add(
                PREVENT_ALLOW_MEDIUM_REMOVAL,
                "PREVENT ALLOW MEDIUM REMOVAL",
                BasicCommands::preventAllow,
                0,
                0,
                0,
                0x03,
                C);
        t.add(
                READ_CAPACITY_10,
                "READ CAPACITY(10)",
                Capacity::readCapacity10,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                0,
                0x01,
                C);
        t.add(READ_10, "READ(10)", ReadWrite::read, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(WRITE_10, "WRITE(10)", ReadWrite::write, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(
                WRITE_AND_VERIFY_10,
                "WRITE AND VERIFY(10)",
                ReadWrite::write,
                0x12,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                0xFF,
                0xFF,
                C);
        t.add(VERIFY_10, "VERIFY(10)", ReadWrite::verify, 0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(
                PRE_FETCH_10,
                "PRE-FETCH(10)",
                CacheCommands::preFetch,
                0x02,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                0xFF,
                0xFF,
                C);
        t.add(
                SYNCHRONIZE_CACHE_10,
                "SYNCHRONIZE CACHE(10)",
                CacheCommands::synchronizeCache,
                0x02,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                0xFF,
                0xFF,
                C);
        t.add(
                READ_DEFECT_DATA_10,
                "READ DEFECT DATA(10)",
                DefectData::readDefectData10,
                0,
                0x1F,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                C);
        t.add(WRITE_SAME_10, "WRITE SAME(10)", WriteSame::execute, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, 0xFF, 0xFF, C);
        t.add(UNMAP, "UNMAP", Unmap::execute, 0, 0, 0, 0, 0, 0x1F, 0xFF, 0xFF, C);
        t.add(LOG_SENSE, "LOG SENSE", BasicCommands::logSense, 0, 0xFF, 0xFF, 0, 0xFF, 0xFF, 0xFF, 0xFF, C);
        t.add(MODE_SELECT_10, "MODE SELECT(10)", ModePages::modeSelect, 0x10, 0, 0, 0, 0, 0, 0xFF, 0xFF, C);
        t.add(RESERVE_10, "RESERVE(10)", BasicCommands::reserve, 0, 0, 0, 0, 0, 0, 0, 0, C);
        t.add(RELEASE_10, "RELEASE(10)", BasicCommands::release, 0, 0, 0, 0, 0, 0, 0, 0, C);
        t.add(MODE_SENSE_10, "MODE SENSE(10)", ModePages::modeSense, 0x18, 0xFF, 0xFF, 0, 0, 0, 0xFF, 0xFF, C);
        String[] prIn = {"READ KEYS", "READ RESERVATION", "REPORT CAPABILITIES", "READ FULL STATUS"};
        for (int sa = 0; sa < prIn.length; sa++) {
            t.add(
                    PERSISTENT_RESERVE_IN,
                    sa,
                    "PERSISTENT RESERVE IN/" + prIn[sa],
                    false,
                    0,
                    BasicCommands::persistentReserveIn,
                    0x1F,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0xFF,
                    0xFF,
                    C);
        }
        String[] prOut = {
            "REGISTER",
            "RESERVE",
            "RELEASE",
            "CLEAR",
            "PREEMPT",
            "PREEMPT AND ABORT",
            "REGISTER AND IGNORE EXISTING KEY",
            "REGISTER AND MOVE"
        };
        for (int sa = 0; sa < prOut.length; sa++) {
            t.add(
                    PERSISTENT_RESERVE_OUT,
                    sa,
                    "PERSISTENT RESERVE OUT/" + prOut[sa],
                    false,
                    0,
                    BasicCommands::persistentReserveOut,
                    0x1F,
                    0xFF,
                    0,
                    0,
                    0xFF,
                    0xFF,
                    0xFF,
                    0xFF,
                    C);
        }
        t.add(
                EXTENDED_COPY,
                SA_EXTENDED_COPY_LID1,
                "EXTENDED COPY(LID1)",
                false,
                0,
                CopyCommands::extendedCopy,
                0x1F,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                RECEIVE_COPY_RESULTS,
                SA_COPY_STATUS,
                "RECEIVE COPY RESULTS/COPY STATUS",
                false,
                0,
                CopyCommands::receiveCopyResults,
                0x1F,
                0xFF,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                RECEIVE_COPY_RESULTS,
                SA_OPERATING_PARAMETERS,
                "RECEIVE COPY RESULTS/OPERATING PARAMETERS",
                false,
                0,
                CopyCommands::receiveCopyResults,
                0x1F,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                EXTENDED_COPY,
                SA_POPULATE_TOKEN,
                "POPULATE TOKEN",
                false,
                0,
                TokenCommands::populateToken,
                0x1F,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                EXTENDED_COPY,
                SA_WRITE_USING_TOKEN,
                "WRITE USING TOKEN",
                false,
                0,
                TokenCommands::writeUsingToken,
                0x1F,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                RECEIVE_COPY_RESULTS,
                SA_RECEIVE_ROD_TOKEN_INFORMATION,
                "RECEIVE ROD TOKEN INFORMATION",
                false,
                0,
                TokenCommands::receiveRodTokenInformation,
                0x1F,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                READ_16,
                "READ(16)",
                ReadWrite::read,
                0x1A,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                COMPARE_AND_WRITE,
                "COMPARE AND WRITE",
                CompareAndWrite::execute,
                0x1A,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                0,
                0,
                0xFF,
                0x1F,
                C);
        t.add(
                WRITE_16,
                "WRITE(16)",
                ReadWrite::write,
                0x1A,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                WRITE_AND_VERIFY_16,
                "WRITE AND VERIFY(16)",
                ReadWrite::write,
                0x12,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                VERIFY_16,
                "VERIFY(16)",
                ReadWrite::verify,
                0x12,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                PRE_FETCH_16,
                "PRE-FETCH(16)",
                CacheCommands::preFetch,
                0x02,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                SYNCHRONIZE_CACHE_16,
                "SYNCHRONIZE CACHE(16)",
                CacheCommands::synchronizeCache,
                0x02,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                WRITE_SAME_16,
                "WRITE SAME(16)",
                WriteSame::execute,
                0x09,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        // bytes 10-11 ATOMIC BOUNDARY: must be 0 (no maximum atomic boundary size)
        t.add(
                WRITE_ATOMIC_16,
                "WRITE ATOMIC(16)",
                WriteAtomic::execute,
                0x18,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                0,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                SERVICE_ACTION_IN_16,
                SA_READ_CAPACITY_16,
                "READ CAPACITY(16)",
                false,
                0,
                Capacity::readCapacity16,
                0x1F,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x01,
                C);
        t.add(
                SERVICE_ACTION_IN_16,
                SA_GET_LBA_STATUS,
                "GET LBA STATUS",
                false,
                0,
                Capacity::getLbaStatus,
                0x1F,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                REPORT_LUNS,
                -1,
                "REPORT LUNS",
                true,
                0,
                ReportLuns::execute,
                0,
                0xFF,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                MAINTENANCE_IN,
                SA_REPORT_TARGET_PORT_GROUPS,
                "REPORT TARGET PORT GROUPS",
                false,
                0,
                TargetPortGroupsReport::execute,
                0xFF,
                0,
                0,
                0,
                0,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(
                MAINTENANCE_IN,
                SA_REPORT_SUPPORTED_OPCODES,
                "REPORT SUPPORTED OPERATION CODES",
                false,
                0,
                SupportedOpcodes::execute,
                0x1F,
                0x87,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        t.add(READ_12, "READ(12)", ReadWrite::read, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(WRITE_12, "WRITE(12)", ReadWrite::write, 0x1A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F, C);
        t.add(
                WRITE_AND_VERIFY_12,
                "WRITE AND VERIFY(12)",
                ReadWrite::write,
                0x12,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                VERIFY_12,
                "VERIFY(12)",
                ReadWrite::verify,
                0x12,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0x1F,
                C);
        t.add(
                READ_DEFECT_DATA_12,
                "READ DEFECT DATA(12)",
                DefectData::readDefectData12,
                0x1F,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0xFF,
                0,
                C);
        return t;
    }
}
