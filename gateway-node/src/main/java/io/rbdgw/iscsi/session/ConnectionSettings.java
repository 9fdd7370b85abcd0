package io.rbdgw.iscsi.session;

import io.rbdgw.config.model.Setting;
import io.rbdgw.iscsi.login.TargetParameters;
import java.time.Duration;

/**
 * Transport settings of a portal. {@code parameters}, {@code commandWindow} and the NOP-In pings are what a
 * session gets when its target carries no {@link SessionSettings} of its own (a registry not fed by the
 * cluster's configuration); the gateway's reconciler publishes targets with the cluster's settings, falling
 * back to this portal's command window and pings for values the cluster does not set.
 *
 * @param parameters          what login offers and accepts
 * @param commandWindow       commands a session may have outstanding (MaxCmdSN - ExpCmdSN + 1 when idle)
 * @param maxWriteBytes       largest write the target buffers for one command (EDTL above it is refused)
 * @param nopInInterval       idle time after which the target pings the initiator with a NOP-In
 * @param nopInTimeout        how long the initiator has to answer a ping before the connection is dropped
 * @param loginTimeout        how long a connection may stay in the login phase
 * @param relativeTargetPort  relative target port id reported for this portal group
 * @param limits              sessions, logins and write data the gateway accepts at most
 * @param allowTargetReset    whether initiators may TARGET WARM/COLD RESET (refused by default: a target reset
 *                            acts on every host of the target)
 * @param pollInFlight        how long an event loop with device operations in flight polls for their completion
 *                            before it sleeps ({@link CompletionPolling}); zero: it sleeps at once
 */
public record ConnectionSettings(
        TargetParameters parameters,
        int commandWindow,
        int maxWriteBytes,
        Duration nopInInterval,
        Duration nopInTimeout,
        Duration loginTimeout,
        int relativeTargetPort,
        PortalLimits limits,
        boolean allowTargetReset,
        Duration pollInFlight) {

    public ConnectionSettings {
        if (pollInFlight == null) {
            pollInFlight = Duration.ZERO;
        }
    }

    public static ConnectionSettings defaults() {
        return new ConnectionSettings(
                TargetParameters.defaults(),
                Integer.parseInt(Setting.CMDSN_DEPTH.defaultValue()),
                16 << 20,
                Duration.ofSeconds(Long.parseLong(Setting.NOPIN_INTERVAL.defaultValue())),
                Duration.ofSeconds(Long.parseLong(Setting.NOPIN_TIMEOUT.defaultValue())),
                Duration.ofSeconds(15),
                1,
                PortalLimits.defaults(),
                false,
                Duration.ZERO);
    }

    /** This portal's own session settings (for targets and discovery sessions that carry none). */
    public SessionSettings session() {
        return new SessionSettings(parameters, commandWindow, nopInInterval, nopInTimeout);
    }

    public ConnectionSettings withNopIn(Duration interval, Duration timeout) {
        return new ConnectionSettings(
                parameters,
                commandWindow,
                maxWriteBytes,
                interval,
                timeout,
                loginTimeout,
                relativeTargetPort,
                limits,
                allowTargetReset,
                pollInFlight);
    }

    public ConnectionSettings withLimits(PortalLimits newLimits) {
        return new ConnectionSettings(
                parameters,
                commandWindow,
                maxWriteBytes,
                nopInInterval,
                nopInTimeout,
                loginTimeout,
                relativeTargetPort,
                newLimits,
                allowTargetReset,
                pollInFlight);
    }

    public ConnectionSettings withCommandWindow(int window) {
        return new ConnectionSettings(
                parameters,
                window,
                maxWriteBytes,
                nopInInterval,
                nopInTimeout,
                loginTimeout,
                relativeTargetPort,
                limits,
                allowTargetReset,
                pollInFlight);
    }

    public ConnectionSettings withTargetReset(boolean allow) {
        return new ConnectionSettings(
                parameters,
                commandWindow,
                maxWriteBytes,
                nopInInterval,
                nopInTimeout,
                loginTimeout,
                relativeTargetPort,
                limits,
                allow,
                pollInFlight);
    }

    public ConnectionSettings withPollInFlight(Duration bound) {
        return new ConnectionSettings(
                parameters,
                commandWindow,
                maxWriteBytes,
                nopInInterval,
                nopInTimeout,
                loginTimeout,
                relativeTargetPort,
                limits,
                allowTargetReset,
                bound);
    }
}
