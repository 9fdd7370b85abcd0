package io.rbdgw.config.store;

/** ZooKeeper could not be reached or answered unexpectedly, or a stored document is unreadable. */
public class ConfigStoreException extends RuntimeException {
    public ConfigStoreException(String message) {
        super(message);
    }

    public ConfigStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
