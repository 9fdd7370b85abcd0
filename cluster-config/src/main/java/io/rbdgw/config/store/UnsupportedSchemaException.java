package io.rbdgw.config.store;

import io.rbdgw.config.model.SchemaVersion;

/** A stored document was written by a newer major schema than this gateway understands: upgrade the gateway. */
public class UnsupportedSchemaException extends ConfigStoreException {
    private final SchemaVersion found;

    public UnsupportedSchemaException(String path, SchemaVersion found) {
        super(path + " was written with schema " + found + " but this gateway reads schema "
                + SchemaVersion.CURRENT.major() + ".x at most; upgrade this gateway before it joins the cluster");
        this.found = found;
    }

    public SchemaVersion found() {
        return found;
    }
}
