package io.rbdgw.iscsi.session;

import io.rbdgw.config.model.Setting;
import io.rbdgw.iscsi.login.TargetParameters;
import java.time.Duration;
import java.util.function.Function;

/**
 * What a session to one target gets from the cluster's settings: the login parameters, the command window and
 * the NOP-In pings. A session keeps the values it started with; a change applies to the next login.
 *
 * @param parameters    what login offers and accepts
 * @param commandWindow commands a session may have outstanding (MaxCmdSN - ExpCmdSN + 1 when idle)
 * @param nopInInterval idle time after which the target pings the initiator; zero: no pings
 * @param nopInTimeout  how long the initiator has to answer a ping before the connection is dropped
 */
public record SessionSettings(
        TargetParameters parameters, int commandWindow, Duration nopInInterval, Duration nopInTimeout) {

    public SessionSettings {
        if (parameters == null
                || commandWindow < 1
                || nopInInterval.isNegative()
                || nopInTimeout.isNegative()
                || nopInTimeout.isZero()) {
            throw new IllegalArgumentException("invalid session settings: window " + commandWindow + ", NOP-In "
                    + nopInInterval + "/" + nopInTimeout);
        }
    }

    /**
     * The settings for the values configured in the cluster ({@code configured} answers null for a setting set
     * nowhere: neither on the target nor cluster-wide). iSCSI keys not configured take the {@link Setting}
     * defaults; the command window and the pings not configured take the portal's values, which are the
     * {@link Setting} defaults unless the command line changed the pings ({@code --nop-interval/--nop-timeout}).
     */
    public static SessionSettings resolve(Function<Setting, String> configured, ConnectionSettings portal) {
        Function<Setting, String> value = s -> {
            String v = configured.apply(s);
            return v != null ? v : s.defaultValue();
        };
        String window = configured.apply(Setting.CMDSN_DEPTH);
        String interval = configured.apply(Setting.NOPIN_INTERVAL);
        String timeout = configured.apply(Setting.NOPIN_TIMEOUT);
        return new SessionSettings(
                TargetParameters.of(value),
                window != null ? Integer.parseInt(window) : portal.commandWindow(),
                interval != null ? Duration.ofSeconds(Long.parseLong(interval)) : portal.nopInInterval(),
                timeout != null ? Duration.ofSeconds(Long.parseLong(timeout)) : portal.nopInTimeout());
    }
}
