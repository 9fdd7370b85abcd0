package io.rbdgw.scsi;

import io.rbdgw.block.BlockDevice;
import io.rbdgw.block.DeviceInfo;
import io.rbdgw.scsi.odx.OdxResults;
import io.rbdgw.scsi.odx.RodTokenService;
import io.rbdgw.scsi.pr.Reservations;
import io.rbdgw.scsi.xcopy.CopyBuffers;
import io.rbdgw.scsi.xcopy.CopyResults;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SCSI logical unit (SBC-3 direct-access block device) backed by a {@link BlockDevice}.
 *
 * <p>{@link #execute} runs on the transport's threads (one event loop per connection, several at
 * once); completions come from the device's threads. Per-command work is: pending unit attention
 * (one volatile read when none), reservation check, table lookup, CDB validation against the
 * command's usage data, then the handler. Nothing on that path locks or blocks.
 *
 * <p>Reservations are created by a factory that receives this unit's {@link UnitAttentions}, because
 * the persistent-reservation implementation posts unit attentions (reservations preempted, released,
 * registrations preempted) to other nexuses.
 */
public final class LogicalUnit implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LogicalUnit.class);

    /** Largest READ/WRITE in bytes (block limits VPD MAXIMUM TRANSFER LENGTH). */
    public static final int MAX_TRANSFER_BYTES = 8 << 20;
    /** Largest WRITE SAME in bytes (MAXIMUM WRITE SAME LENGTH). */
    public static final long MAX_WRITE_SAME_BYTES = 32L << 20;
    /** Largest UNMAP range per command in bytes (MAXIMUM UNMAP LBA COUNT). */
    public static final long MAX_UNMAP_BYTES = 1L << 30;
    /**
     * Upper bound of MAXIMUM UNMAP LBA COUNT in blocks: initiators and conformance suites treat more
     * than 2^20 blocks per command as implausible (libiscsi's block-limits check).
     */
    public static final long MAX_UNMAP_BLOCKS = 1L << 20;
    /** MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT. */
    public static final int MAX_UNMAP_DESCRIPTORS = 256;

    private final long lun;
    private final BlockDevice device;
    private final LuIdentity identity;
    private final NexusUnitAttentions unitAttentions = new NexusUnitAttentions();
    private final Reservations reservations;
    private final TargetPortGroups targetPortGroups;
    private final CommandTable commands = CommandTable.SBC;
    private volatile Supplier<long[]> reportedLuns;
    /** Finds copy targets for EXTENDED COPY: this unit alone until a target attaches it. */
    private volatile LuResolver luResolver;

    private final CopyResults copyResults = new CopyResults();
    /** The gateway's budget of copy chunk buffers, shared by all its units (the JVM's default until set). */
    private volatile CopyBuffers copyBuffers = CopyBuffers.DEFAULT;
    /** ODX results held for RECEIVE ROD TOKEN INFORMATION. */
    private final OdxResults odxResults = new OdxResults();
    /** Where ODX tokens live (shared by the gateways); null: ODX is not offered. */
    private volatile RodTokenService rodTokens;
    /** Admits medium writes only while this gateway holds the disk's write token; null: always admitted. */
    private volatile WriteGate writeGate;
    /** Aborts this unit's tasks in the transport by nexus: the target's sessions once a target attaches it. */
    private volatile TaskAborter taskAborter = TaskAborter.NONE;
    /** Where transports report command outcomes (metrics); bound once when the unit is exported. */
    private volatile LunStats stats = LunStats.NONE;

    /**
     * @param lun              the LUN this unit answers on
     * @param device           the storage; closed with this unit
     * @param identity         INQUIRY identity (usually {@link LuIdentity#fromDeviceIdentity})
     * @param reservations     builds this unit's reservation manager, given its unit attentions
     * @param targetPortGroups the ALUA groups reported for this unit
     */
    public LogicalUnit(
            long lun,
            BlockDevice device,
            LuIdentity identity,
            Function<UnitAttentions, Reservations> reservations,
            TargetPortGroups targetPortGroups) {
        this.lun = lun;
        this.device = Objects.requireNonNull(device, "device");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.reservations = Objects.requireNonNull(reservations.apply(unitAttentions), "reservations");
        this.reservations.abortTasksWith(this::abortTasks);
        this.targetPortGroups = Objects.requireNonNull(targetPortGroups, "targetPortGroups");
        long[] self = {lun};
        this.reportedLuns = () -> self;
        this.luResolver = (nexus, high, low) -> identity.naaHigh() == high && identity.naaLow() == low ? this : null;
    }

    /** Identity from the device's {@link DeviceInfo#identity()}, one Active/Optimized group per port. */
    public LogicalUnit(long lun, BlockDevice device, Function<UnitAttentions, Reservations> reservations) {
        this(
                lun,
                device,
                LuIdentity.fromDeviceIdentity(device.info().identity()),
                reservations,
                TargetPortGroups.onePerPort());
    }

    /** Executes {@code task}; never throws, always completes the task exactly once. */
    public void execute(ScsiTask task) {
        byte[] cdb = task.cdb();
        ScsiTask t = task;
        try {
            CommandSpec spec = commands.lookup(cdb);
            ItNexus nexus = task.nexus();
            if (spec == null || !spec.uaExempt()) {
                int ua = unitAttentions.poll(nexus);
                if (ua >= 0) {
                    task.complete(
                            ScsiStatus.CHECK_CONDITION,
                            null,
                            SenseData.fixed(SenseData.UNIT_ATTENTION, ua >>> 8, ua & 0xff),
                            -1);
                    return;
                }
            }
            int admission = reservations.admission(nexus, cdb);
            if (admission != ScsiStatus.GOOD) {
                task.complete(admission, null, null, -1);
                return;
            }
            if (spec == null) {
                throw commands.unsupported(cdb);
            }
            spec.validate(cdb);
            if (spec.writesMedium() && reservations.softwareWriteProtected()) {
                throw ScsiError.check(SenseData.DATA_PROTECT, 0x27, 0x02);
            }
            WriteGate gate = writeGate;
            if (gate != null && spec.writeGated()) {
                if (!gate.enter()) {
                    gate.park(this, task); // waits for the write token, or ends retryably
                    return;
                }
                t = gate.track(task);
            }
            spec.handler().execute(this, t, cdb);
        } catch (ScsiError e) {
            t.complete(e.status(), null, e.sense(), e.transferLength());
        } catch (RuntimeException e) {
            LOG.error("LUN {}: command {} failed", lun, String.format("0x%02x", cdb[0] & 0xff), e);
            t.complete(ScsiStatus.CHECK_CONDITION, null, SenseData.fixed(SenseData.HARDWARE_ERROR, 0x44, 0x00), -1);
        }
    }

    public LunStats stats() {
        return stats;
    }

    public void stats(LunStats stats) {
        this.stats = stats == null ? LunStats.NONE : stats;
    }

    /**
     * A new I_T nexus: it will see 29/00 POWER ON, RESET, OR BUS DEVICE RESET OCCURRED once, and the unit attentions
     * a reservation change (through any gateway) establishes for its registration.
     */
    public void nexusCreated(ItNexus nexus) {
        unitAttentions.nexusCreated(nexus);
        reservations.nexusCreated(nexus);
    }

    /** The nexus is gone: its unit attentions and SPC-2 reservation go with it. */
    public void nexusLost(ItNexus nexus) {
        unitAttentions.nexusLost(nexus);
        reservations.nexusLost(nexus);
        copyResults.nexusLost(nexus);
        odxResults.nexusLost(nexus);
    }

    /**
     * LOGICAL UNIT RESET received on {@code by} (null for a reset of unknown origin): 29/03 BUS DEVICE
     * RESET FUNCTION OCCURRED for every nexus, the one that asked included (SAM-5 6.3.4: a unit
     * attention for all I_T nexuses; multipath initiators such as libiscsi's MultipathIO.Reset
     * expect it on every path), SPC-2 reservation released. Completes once every gateway sharing the
     * reservation state raised it too (bounded).
     */
    public CompletionStage<Void> reset(ItNexus by) {
        unitAttentions.postAllExcept(null, 0x29, 0x03);
        copyResults.reset();
        odxResults.reset();
        return reservations.resetEverywhere(); // the other gateways' nexuses too, where the state is shared
    }

    /**
     * Gates this unit's medium writes (WRITE*, WRITE SAME, UNMAP, COMPARE AND WRITE, WRITE ATOMIC, and the chunks
     * copies write to it) on the disk's write token; set before the unit serves.
     */
    public void writeGate(WriteGate gate) {
        this.writeGate = gate;
    }

    public WriteGate writeGate() {
        return writeGate;
    }

    /**
     * Whether SWP (software write protect, control mode page) is set: medium writes fail with 07/27/02 (not saved).
     * The reservations keep it: a cluster store shares it with every gateway serving the disk.
     */
    public boolean softwareWriteProtected() {
        return reservations.softwareWriteProtected();
    }

    /**
     * Sets or clears SWP (MODE SELECT from {@code by}); a change reports 2A/01 MODE PARAMETERS CHANGED to every
     * other nexus (SPC-4 7.5.2), on every gateway sharing the reservation state. Completes once it is in force
     * everywhere; exceptionally when it could not be (see {@link Reservations#softwareWriteProtect}).
     */
    public CompletionStage<Void> setSoftwareWriteProtect(boolean on, ItNexus by) {
        return reservations.softwareWriteProtect(on, by).thenAccept(changed -> {
            if (changed) {
                unitAttentions.postAllExcept(by, 0x2A, 0x01);
            }
        });
    }

    /**
     * Aborts this unit's tasks of the nexuses {@code which} accepts, in whatever session carries them (PREEMPT AND
     * ABORT). Completes once none of them is inside the backend any more; never exceptionally.
     */
    public CompletionStage<Void> abortTasks(Predicate<ItNexus> which) {
        return taskAborter.abortTasks(which);
    }

    void abortTasksWith(TaskAborter aborter) {
        this.taskAborter = aborter;
    }

    /** The device was resized: 2A/09 CAPACITY DATA HAS CHANGED for every nexus. */
    public void capacityChanged() {
        unitAttentions.postAllExcept(null, 0x2A, 0x09);
    }

    public UnitAttentions unitAttentions() {
        return unitAttentions;
    }

    /** The same object as {@link #unitAttentions()}, with the queue operations. */
    public NexusUnitAttentions unitAttentionQueues() {
        return unitAttentions;
    }

    public long lun() {
        return lun;
    }

    public BlockDevice device() {
        return device;
    }

    /** Current device description (changes on resize). */
    public DeviceInfo info() {
        return device.info();
    }

    public LuIdentity identity() {
        return identity;
    }

    public Reservations reservations() {
        return reservations;
    }

    public TargetPortGroups targetPortGroups() {
        return targetPortGroups;
    }

    public CommandTable commands() {
        return commands;
    }

    /** LUNs REPORT LUNS lists when sent to this unit (the target's LUN table when attached to one). */
    public long[] reportedLuns() {
        return reportedLuns.get();
    }

    void reportLunsFrom(Supplier<long[]> luns) {
        this.reportedLuns = luns;
    }

    /** Finds the logical units EXTENDED COPY target descriptors name (the target's, once attached). */
    public LuResolver luResolver() {
        return luResolver;
    }

    void resolveLusWith(LuResolver resolver) {
        this.luResolver = resolver;
    }

    /** The copy manager's state: copies in progress and held copy statuses. */
    public OdxResults odxResults() {
        return odxResults;
    }

    /** The ODX token store, or null when this unit offers no ODX. */
    public RodTokenService rodTokens() {
        return rodTokens;
    }

    /** Offers ODX with tokens kept in {@code service}; set before the unit serves. */
    public void rodTokens(RodTokenService service) {
        this.rodTokens = service;
    }

    public CopyResults copyResults() {
        return copyResults;
    }

    /** The copy chunk buffers EXTENDED COPY and WRITE USING TOKEN on this unit draw from. */
    public CopyBuffers copyBuffers() {
        return copyBuffers;
    }

    /** Draws copy buffers from {@code buffers} (the gateway's, shared by all its units); set before the unit serves. */
    public void copyBuffers(CopyBuffers buffers) {
        this.copyBuffers = Objects.requireNonNull(buffers, "buffers");
    }

    /** MAXIMUM TRANSFER LENGTH in blocks. */
    public long maxTransferBlocks(DeviceInfo info) {
        return MAX_TRANSFER_BYTES / info.blockSize();
    }

    /**
     * MAXIMUM WRITE SAME LENGTH in blocks: {@link #MAX_WRITE_SAME_BYTES}, but at most 0xFFFF, the
     * largest count WRITE SAME(10) can express, so that both CDB sizes share one limit.
     */
    public long maxWriteSameBlocks(DeviceInfo info) {
        return Math.min(0xFFFF, MAX_WRITE_SAME_BYTES / info.blockSize());
    }

    /**
     * MAXIMUM UNMAP LBA COUNT in blocks (0 when the device is not thin): {@link #MAX_UNMAP_BYTES}, but
     * at most {@link #MAX_UNMAP_BLOCKS}.
     */
    public long maxUnmapBlocks(DeviceInfo info) {
        return info.thinProvisioned() ? Math.min(MAX_UNMAP_BLOCKS, MAX_UNMAP_BYTES / info.blockSize()) : 0;
    }

    /** MAXIMUM COMPARE AND WRITE LENGTH in blocks (at most 255, the CDB field's limit). */
    public int maxCompareAndWriteBlocks(DeviceInfo info) {
        return Math.min(255, info.maxAtomicCompareAndWriteBytes() / info.blockSize());
    }

    /**
     * MAXIMUM ATOMIC TRANSFER LENGTH in blocks (0: no WRITE ATOMIC): the device's atomic limit, at
     * most the MAXIMUM TRANSFER LENGTH and 0xFFFF (the CDB field's limit).
     */
    public long maxAtomicTransferBlocks(DeviceInfo info) {
        long blocks = info.maxAtomicWriteBytes() / info.blockSize();
        return Math.min(blocks, Math.min(0xFFFF, maxTransferBlocks(info)));
    }

    /** ATOMIC ALIGNMENT in blocks (0: none, also when there are no atomic writes). */
    public long atomicAlignmentBlocks(DeviceInfo info) {
        return maxAtomicTransferBlocks(info) == 0 ? 0 : info.atomicAlignmentBytes() / info.blockSize();
    }

    /** ATOMIC TRANSFER LENGTH GRANULARITY in blocks (0: none, also when there are no atomic writes). */
    public long atomicGranularityBlocks(DeviceInfo info) {
        return maxAtomicTransferBlocks(info) == 0 ? 0 : info.atomicGranularityBytes() / info.blockSize();
    }

    @Override
    public void close() {
        device.close();
    }
}
