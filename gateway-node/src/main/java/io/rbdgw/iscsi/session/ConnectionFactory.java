package io.rbdgw.iscsi.session;

import io.rbdgw.iscsi.pdu.DataOut;
import io.rbdgw.iscsi.pdu.IscsiPduDecoder;
import io.rbdgw.iscsi.pdu.IscsiPduEncoder;
import io.rbdgw.iscsi.pdu.LoginRequest;
import io.rbdgw.iscsi.pdu.LogoutRequest;
import io.rbdgw.iscsi.pdu.NopOut;
import io.rbdgw.iscsi.pdu.Opcodes;
import io.rbdgw.iscsi.pdu.RejectReason;
import io.rbdgw.iscsi.pdu.ScsiCommand;
import io.rbdgw.iscsi.pdu.SnackRequest;
import io.rbdgw.iscsi.pdu.TaskManagementRequest;
import io.rbdgw.iscsi.pdu.TextRequest;
import io.rbdgw.iscsi.session.IscsiConnection.Phase;

/**
 * Builds a connection: the core and its handlers, and the one table of which handler takes which PDU in
 * which phase. A PDU outside its phase is a protocol error (the connection is dropped after a Reject).
 */
final class ConnectionFactory {

    private final TargetRegistry targets;
    private final SessionRegistry sessions;
    private final ConnectionSettings settings;
    private final GatewayBudget budget;
    private final StallGuard stallGuard;

    ConnectionFactory(
            TargetRegistry targets,
            SessionRegistry sessions,
            ConnectionSettings settings,
            GatewayBudget budget,
            StallGuard stallGuard) {
        this.stallGuard = stallGuard;
        this.targets = targets;
        this.sessions = sessions;
        this.settings = settings;
        this.budget = budget;
    }

    IscsiConnection newConnection(IscsiPduDecoder decoder, IscsiPduEncoder encoder, IscsiStats stats) {
        // a connection's data slices may keep alive as many bytes of socket reads as it may hold write data
        decoder.boundPins(budget, settings.limits().writeBufferPerConnection());
        TaskTable tasks = new TaskTable(
                budget,
                settings.limits().writeBufferPerConnection(),
                settings.session().commandWindow(),
                decoder::reclaimPins);
        IscsiConnection c = new IscsiConnection(settings.session(), tasks, stats, stallGuard);
        LoginPhase login = new LoginPhase(c, targets, sessions, settings, budget, decoder, encoder);
        ScsiCommands scsi = new ScsiCommands(c, settings);
        TaskManagement tmf = new TaskManagement(c, settings, sessions);
        TextCommands text = new TextCommands(c, targets);
        NopPings nop = new NopPings(c);
        LogoutHandler logout = new LogoutHandler(c);

        c.route(
                Opcodes.LOGIN_REQUEST,
                Phase.LOGIN,
                "Login Request in the full feature phase",
                LoginRequest.class,
                login::onLogin);
        c.route(
                Opcodes.SCSI_COMMAND,
                Phase.NORMAL_SESSION,
                "SCSI Command outside a normal session's full feature phase",
                ScsiCommand.class,
                scsi::onScsiCommand);
        c.route(
                Opcodes.DATA_OUT,
                Phase.FULL_FEATURE,
                "Data-Out outside the full feature phase",
                DataOut.class,
                scsi::onDataOut);
        c.route(
                Opcodes.TASK_MGMT_REQUEST,
                Phase.NORMAL_SESSION,
                "Task Management Request outside a normal session's full feature phase",
                TaskManagementRequest.class,
                tmf::onTaskManagement);
        c.route(
                Opcodes.TEXT_REQUEST,
                Phase.FULL_FEATURE,
                "Text Request before the full feature phase",
                TextRequest.class,
                text::onText);
        c.route(
                Opcodes.NOP_OUT,
                Phase.FULL_FEATURE,
                "NOP-Out before the full feature phase",
                NopOut.class,
                nop::onNopOut);
        c.route(
                Opcodes.LOGOUT_REQUEST,
                Phase.FULL_FEATURE,
                "Logout Request outside the full feature phase",
                LogoutRequest.class,
                logout::onLogout);
        // ErrorRecoveryLevel 0: SNACK is not supported, in any phase
        c.route(
                Opcodes.SNACK_REQUEST,
                Phase.ANY,
                "",
                SnackRequest.class,
                s -> c.reject(RejectReason.COMMAND_NOT_SUPPORTED, null, false));

        c.attach(login);
        c.attach(text);
        c.attach(nop);
        return c;
    }
}
