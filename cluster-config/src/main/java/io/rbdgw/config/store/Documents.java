package io.rbdgw.config.store;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.rbdgw.config.model.Client;
import io.rbdgw.config.model.SchemaVersion;
import io.rbdgw.config.model.Setting;
import io.rbdgw.config.model.Settings;
import io.rbdgw.config.model.Target;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * JSON encoding of the stored documents. Every document carries {@code "schema":"major.minor"}. Reading accepts
 * documents of this major version (and documents without the field, taken as {@link SchemaVersion#OLDEST}):
 * absent fields get their defaults, unknown fields and unknown setting keys (written by a newer minor) are
 * ignored. A newer major is refused with {@link UnsupportedSchemaException}.
 *
 * <p>Records are mapped through their fields, so derived accessors such as {@code Disk.id()} are not stored;
 * properties and map entries are sorted so equal values encode to equal bytes.
 */
public final class Documents {
    private static final Logger log = LoggerFactory.getLogger(Documents.class);
    public static final String SCHEMA_FIELD = "schema";

    private final ObjectMapper mapper = JsonMapper.builder()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true)
            .configure(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY, true)
            .defaultPropertyInclusion(
                    JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .visibility(PropertyAccessor.GETTER, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.IS_GETTER, JsonAutoDetect.Visibility.NONE)
            .visibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
            .build();

    /** A document read back, with the schema version it was written in. */
    public record Read<T>(T value, SchemaVersion schema) {}

    public byte[] write(Object value) {
        ObjectNode node = value == null ? mapper.createObjectNode() : mapper.valueToTree(value);
        node.put(SCHEMA_FIELD, SchemaVersion.CURRENT.toString());
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new ConfigStoreException("cannot encode " + value, e);
        }
    }

    public <T> Read<T> read(String path, byte[] data, Class<T> type) {
        ObjectNode node = tree(path, data);
        SchemaVersion version = versionOf(path, node);
        upgrade(path, type, node);
        try {
            return new Read<>(mapper.treeToValue(node, type), version);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // a compact constructor's IllegalArgumentException arrives wrapped: show its message
            Throwable cause = e;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            throw new ConfigStoreException("invalid document at " + path + ": " + cause.getMessage(), e);
        }
    }

    /** Reads just the version of a document (e.g. /schema) and refuses a newer major one. */
    public SchemaVersion version(String path, byte[] data) {
        return versionOf(path, tree(path, data));
    }

    public long readLong(String path, byte[] data, String field) {
        JsonNode n = tree(path, data).get(field);
        if (n == null || !n.canConvertToLong()) {
            throw new ConfigStoreException(path + " has no numeric field '" + field + "'");
        }
        return n.asLong();
    }

    public byte[] writeFields(Map<String, Object> fields) {
        ObjectNode node = mapper.createObjectNode();
        fields.forEach((k, v) -> node.set(k, mapper.valueToTree(v)));
        node.put(SCHEMA_FIELD, SchemaVersion.CURRENT.toString());
        try {
            return mapper.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new ConfigStoreException("cannot encode " + fields, e);
        }
    }

    private ObjectNode tree(String path, byte[] data) {
        JsonNode n;
        try {
            n = data == null || data.length == 0 ? null : mapper.readTree(data);
        } catch (IOException e) {
            throw new ConfigStoreException("document at " + path + " is not JSON: " + e.getMessage(), e);
        }
        if (!(n instanceof ObjectNode)) {
            throw new ConfigStoreException("document at " + path + " is not a JSON object");
        }
        return (ObjectNode) n;
    }

    private static SchemaVersion versionOf(String path, ObjectNode node) {
        JsonNode v = node.remove(SCHEMA_FIELD);
        SchemaVersion version;
        try {
            version = v == null ? SchemaVersion.OLDEST : SchemaVersion.parse(v.asText());
        } catch (IllegalArgumentException e) {
            throw new ConfigStoreException("document at " + path + ": " + e.getMessage(), e);
        }
        if (!version.readable()) {
            throw new UnsupportedSchemaException(path, version);
        }
        return version;
    }

    /** Brings a document of an older (or newer minor) version to the shape of this one. */
    private static void upgrade(String path, Class<?> type, ObjectNode node) {
        if (type == Target.class) {
            // an ACL-less default would open a target to every initiator: absent means enforced
            if (!node.has("aclEnabled")) {
                node.put("aclEnabled", true);
            }
            dropUnknownSettings(path, node.get("parameters"));
        } else if (type == Client.class) {
            // every writer since allLuns exists writes it; a client without it is from the old rule "no LUNs listed
            // means all LUNs", and must keep the access it had (read as allLuns only when it lists none)
            if (!node.has("allLuns")) {
                JsonNode luns = node.get("luns");
                node.put("allLuns", luns == null || luns.isNull() || luns.isEmpty());
            }
        } else if (type == Settings.class) {
            dropUnknownSettings(path, node.get("values"));
        }
    }

    private static void dropUnknownSettings(String path, JsonNode map) {
        if (!(map instanceof ObjectNode)) {
            return;
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = map.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            try {
                Setting.of(key);
            } catch (IllegalArgumentException e) {
                unknown.add(key);
            }
        }
        if (!unknown.isEmpty()) {
            log.warn(
                    "{}: ignoring settings this gateway does not know (written by a newer version?): {}",
                    path,
                    unknown);
            ((ObjectNode) map).remove(unknown);
        }
    }
}
