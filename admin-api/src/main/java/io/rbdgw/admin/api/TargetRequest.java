package io.rbdgw.admin.api;

import java.util.Map;

/**
 * A target to create ({@code iqn} required) or the fields to change (absent fields keep their value).
 *
 * @param acl whether the target enforces its client list (default true)
 * @param parameters overrides of cluster settings for this target; a null value removes an override
 */
public record TargetRequest(String iqn, String alias, Boolean acl, Map<String, String> parameters) {}
