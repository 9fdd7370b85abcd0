package io.rbdgw.config.model;

/** LUN {@code number} of {@code target} exports disk {@code diskId} ({@code pool/image}). */
public record Lun(String target, int number, String diskId) {
    /** Flat LUN addressing (SAM-5) reaches 16383. */
    public static final int MAX_LUN = 16383;

    public Lun {
        Names.iscsiName("target", target);
        if (number < 0 || number > MAX_LUN) {
            throw new IllegalArgumentException("LUN number " + number + " is out of range 0-" + MAX_LUN);
        }
        Names.nonBlank("disk id of LUN " + number, diskId);
    }
}
