package io.rbdgw.admin.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The audit trail keeps a change's query string: a forced change or an import's dry run is not a plain one. */
class AuditQueryTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void forcedChangesAndDryRunsAreRecordedAsSuch() throws Exception {
        try (TestApi api = TestApi.start("audit-query")) {
            Map<String, String> auth = TestApi.auth();
            String t = "iqn.2003-01.org.example:auditq";
            assertThat(api.http
                            .send("POST", "/api/targets", "{\"iqn\":\"" + t + "\"}", auth)
                            .status())
                    .isEqualTo(201);
            String export =
                    api.http.send("GET", "/api/config/export", null, auth).body();
            assertThat(api.http
                            .send("POST", "/api/config/import?dryRun=true", export, auth)
                            .status())
                    .isEqualTo(200);
            assertThat(api.http
                            .send("DELETE", "/api/targets/" + t + "?force=true", null, auth)
                            .status())
                    .isEqualTo(200);

            JsonNode list =
                    JSON.readTree(api.http.send("GET", "/api/audit", null, auth).body());
            assertThat(list).hasSize(3);
            assertThat(list.get(0).get("path").asText()).isEqualTo("/api/targets/" + t + "?force=true");
            assertThat(list.get(1).get("path").asText()).isEqualTo("/api/config/import?dryRun=true");
            assertThat(list.get(2).get("path").asText()).isEqualTo("/api/targets");
        }
    }
}
