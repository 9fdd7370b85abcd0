package io.rbdgw.iscsi.login;

import io.netty.buffer.ByteBuf;

/**
 * What to put in the Login Response. {@code data} is the encoded text (never null, possibly empty) and
 * belongs to the caller, who must write or release it.
 *
 * @param complete        T=1 to the full feature phase was accepted: enter full feature phase
 * @param closeConnection an error status: close the connection after sending the response
 */
public record LoginOutput(
        boolean transit,
        boolean cont,
        int csg,
        int nsg,
        int statusClass,
        int statusDetail,
        ByteBuf data,
        boolean complete,
        boolean closeConnection) {

    public LoginStatus status() {
        return new LoginStatus(statusClass, statusDetail);
    }
}
