package io.rbdgw.admin.resources;

/** Keeps error messages short whatever a caller sent: inputs are echoed, but not in full. */
public final class Messages {
    /** Longest run of non-blank characters (an echoed IQN, name, value) kept in a message. */
    public static final int MAX_WORD = 200;
    /** Longest message. */
    public static final int MAX_MESSAGE = 1000;

    private static final String ELLIPSIS = "…";

    private Messages() {}

    public static String truncate(String message) {
        if (message == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(Math.min(message.length(), MAX_MESSAGE + 1));
        int word = 0;
        for (int i = 0; i < message.length() && out.length() < MAX_MESSAGE; i++) {
            char c = message.charAt(i);
            if (Character.isWhitespace(c)) {
                word = 0;
            } else if (++word > MAX_WORD) {
                if (word == MAX_WORD + 1) {
                    out.append(ELLIPSIS);
                }
                continue;
            }
            out.append(c);
        }
        if (out.length() >= MAX_MESSAGE && out.length() < message.length()) {
            out.append(ELLIPSIS);
        }
        return out.toString();
    }
}
