package io.rbdgw.admin.api;

import java.util.List;

/**
 * What an import did or, with {@code dryRun}, would do. Items are named "target IQN", "disk POOL/IMAGE",
 * "lun IQN/N", "client IQN/INITIATOR", "hostGroup IQN/NAME", "gateway NAME", "setting KEY", "discoveryAuth".
 *
 * @param epoch     the epoch after the import (the current one for a dry run or an import that changed nothing)
 * @param changed   items present on both sides whose content differs (a CHAP secret counts, its value is never shown)
 * @param refusal   dry run only: why the import would be refused with 409 (logged-in hosts would lose LUNs), null
 *                  if it would not be
 */
public record ImportResult(
        boolean dryRun, long epoch, List<String> added, List<String> removed, List<String> changed, String refusal) {}
