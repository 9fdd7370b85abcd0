package io.rbdgw.block.rbd;

/** The Linux errno values librados and librbd return (negated). */
final class Errno {

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int ENOTEMPTY = 39;
    static final int EILSEQ = 84;
    static final int EOPNOTSUPP = 95;
    static final int ENOBUFS = 105;
    static final int ENOTCONN = 107;
    /** Ceph's EBLOCKLISTED: this client address is on the OSD blocklist. */
    static final int ESHUTDOWN = 108;

    static final int ETIMEDOUT = 110;
    static final int ECONNREFUSED = 111;
    static final int EDQUOT = 122;

    private Errno() {}

    static String name(int errno) {
        switch (Math.abs(errno)) {
            case EPERM:
                return "EPERM";
            case ENOENT:
                return "ENOENT";
            case EIO:
                return "EIO";
            case EAGAIN:
                return "EAGAIN";
            case ENOMEM:
                return "ENOMEM";
            case EACCES:
                return "EACCES";
            case EBUSY:
                return "EBUSY";
            case EEXIST:
                return "EEXIST";
            case EINVAL:
                return "EINVAL";
            case ENOSPC:
                return "ENOSPC";
            case EROFS:
                return "EROFS";
            case ERANGE:
                return "ERANGE";
            case ENOTEMPTY:
                return "ENOTEMPTY";
            case EILSEQ:
                return "EILSEQ";
            case EOPNOTSUPP:
                return "EOPNOTSUPP";
            case ENOBUFS:
                return "ENOBUFS";
            case ENOTCONN:
                return "ENOTCONN";
            case ESHUTDOWN:
                return "ESHUTDOWN/EBLOCKLISTED";
            case ETIMEDOUT:
                return "ETIMEDOUT";
            case ECONNREFUSED:
                return "ECONNREFUSED";
            case EDQUOT:
                return "EDQUOT";
            default:
                return "errno";
        }
    }

    static String describe(int errno) {
        return name(errno) + " " + Math.abs(errno);
    }
}
