package io.rbdgw.admin.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.rbdgw.config.model.Setting;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/initiators: each OS page has one settings table, and it cannot drift from the product. A value the table
 * says it is matched to ("= setting MaxBurstLength (1048576)", "> stall guard (1.5 s)", "> option
 * --write-token-wait (1.5 s)") must be the product's default (cluster-config's {@link Setting}, the gateway's option
 * defaults and stall guard threshold, read from gateway-node's source), and the host value must keep the relation.
 * Every command or configuration snippet in the page and in docs/multipath.md must show the table's value.
 */
class InitiatorDocsTest {
    static final Path DOCS = Path.of("..", "docs");
    static final Path GATEWAY_SRC = Path.of("..", "gateway-node", "src", "main", "java", "io", "rbdgw");
    static final Pattern MATCHED =
            Pattern.compile("(=|>|≥|∈) (setting (\\S+)|option (--[\\w-]+)|stall guard) \\(([^)]*)\\)");

    record Row(String parameter, boolean token, String value, String matched) {}

    @ParameterizedTest
    @ValueSource(strings = {"esxi.md", "windows.md", "linux.md"})
    void settingsTableMatchesTheProductAndTheSnippets(String page) throws IOException {
        String text = Files.readString(DOCS.resolve("initiators").resolve(page), StandardCharsets.UTF_8);
        List<Row> rows = table(text);
        assertThat(rows).as(page + ": the settings table").hasSizeGreaterThan(5);
        assertThat(rows)
                .as(page + ": rows matched to a gateway value")
                .anyMatch(r -> !r.matched().equals("—"));
        String multipath = Files.readString(DOCS.resolve("multipath.md"), StandardCharsets.UTF_8);
        for (Row r : rows) {
            if (!r.matched().equals("—")) {
                checkRelation(page, r);
            }
            if (r.token()) {
                List<String> shown = shownValues(snippets(text), r.parameter());
                assertThat(shown)
                        .as("%s: the commands set %s", page, r.parameter())
                        .isNotEmpty();
                shown.addAll(shownValues(snippets(multipath), r.parameter()));
                assertThat(shown)
                        .as(
                                "%s: every snippet's %s (docs/initiators/%s and docs/multipath.md)",
                                page, r.parameter(), page)
                        .allMatch(v -> v.equals(r.value()));
            }
        }
    }

    private static void checkRelation(String page, Row r) throws IOException {
        Matcher m = MATCHED.matcher(r.matched());
        assertThat(m.matches())
                .as("%s: %s: '%s' is not 'REL setting|option|stall guard (VALUE)'", page, r.parameter(), r.matched())
                .isTrue();
        String rel = m.group(1);
        String shown = m.group(5).replaceAll(" s$", "");
        String actual;
        if (m.group(3) != null) {
            actual = Setting.of(m.group(3)).defaultValue();
        } else if (m.group(4) != null) {
            actual = optionDefaultSeconds(m.group(4)).toPlainString();
        } else {
            actual = stallGuardSeconds().toPlainString();
        }
        assertThat(same(shown, actual))
                .as("%s: %s says the gateway's value is %s, the product's is %s", page, r.parameter(), shown, actual)
                .isTrue();
        boolean holds = switch (rel) {
            case "=" -> same(r.value(), actual);
            case ">" -> number(r.value()).compareTo(number(actual)) > 0;
            case "≥" -> number(r.value()).compareTo(number(actual)) >= 0;
            case "∈" -> Arrays.asList(actual.split(",")).contains(r.value());
            default -> false;
        };
        assertThat(holds)
                .as("%s: %s %s must be %s %s", page, r.parameter(), r.value(), rel, actual)
                .isTrue();
    }

    /** The rows of the "## Settings" table: | Parameter | Value | Gateway value it is matched to | Why |. */
    static List<Row> table(String text) {
        int start = text.indexOf("\n## Settings");
        assertThat(start).as("a '## Settings' section").isPositive();
        List<Row> rows = new ArrayList<>();
        boolean header = false;
        for (String line : text.substring(start).split("\n")) {
            if (!line.startsWith("|")) {
                if (header && !rows.isEmpty()) {
                    break;
                }
                continue;
            }
            String[] cells = line.substring(1, line.length() - (line.endsWith("|") ? 1 : 0))
                    .split("\\|");
            if (!header) {
                assertThat(cells[2].trim()).isEqualTo("Gateway value it is matched to");
                header = true;
                continue;
            }
            if (cells[0].trim().startsWith("---")) {
                continue;
            }
            String p = cells[0].trim();
            boolean token = p.startsWith("`") && p.endsWith("`");
            rows.add(new Row(unquote(p), token, unquote(cells[1].trim()), cells[2].trim()));
        }
        return rows;
    }

    /** Fenced code blocks and inline code spans outside tables. */
    static List<String> snippets(String text) {
        List<String> out = new ArrayList<>();
        boolean fenced = false;
        StringBuilder block = new StringBuilder();
        for (String line : text.split("\n")) {
            if (line.startsWith("```")) {
                if (fenced) {
                    out.add(block.toString());
                    block.setLength(0);
                }
                fenced = !fenced;
                continue;
            }
            if (fenced) {
                block.append(line).append('\n');
            } else if (!line.startsWith("|")) {
                Matcher m = Pattern.compile("`([^`]+)`").matcher(line);
                while (m.find()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** The value each occurrence of {@code token} sets: "NAME VALUE", "NAME = VALUE", "-k NAME -v VALUE", "-Name NAME -Value VALUE", "-NewNAME VALUE". */
    static List<String> shownValues(List<String> snippets, String token) {
        Pattern p = Pattern.compile("(?<![A-Za-z0-9_.\\[])(?:New)?" + Pattern.quote(token)
                + "(?![A-Za-z0-9_\\[])(?:\\s*=\\s*|\\s+-v\\s+|\\s+-Value\\s+|[ \\t]+(?!-))(\"[^\"]*\"|[^\\s`\"]+)");
        List<String> out = new ArrayList<>();
        for (String s : snippets) {
            Matcher m = p.matcher(s);
            while (m.find()) {
                out.add(unquote(m.group(1)));
            }
        }
        return out;
    }

    static BigDecimal optionDefaultSeconds(String option) throws IOException {
        for (Path f :
                List.of(GATEWAY_SRC.resolve("node/RunCommand.java"), GATEWAY_SRC.resolve("node/GatewayOptions.java"))) {
            // whitespace-tolerant: the formatter may put each annotation attribute on its own line
            Matcher m = Pattern.compile("names\\s*=\\s*\"" + Pattern.quote(option)
                            + "\"\\s*,\\s*defaultValue\\s*=\\s*\"(\\d+)\"(\\s*,\\s*paramLabel\\s*=\\s*\"(\\w+)\")?")
                    .matcher(Files.readString(f, StandardCharsets.UTF_8));
            if (m.find()) {
                BigDecimal v = new BigDecimal(m.group(1));
                return "MS".equals(m.group(3)) ? v.movePointLeft(3) : v;
            }
        }
        throw new AssertionError(
                "no default of gateway option " + option + " in gateway-node's RunCommand or GatewayOptions");
    }

    static BigDecimal stallGuardSeconds() throws IOException {
        Matcher m = Pattern.compile("STALL_NANOS\\s*=\\s*TimeUnit\\.MILLISECONDS\\.toNanos\\(\\s*(\\d+)\\s*\\)")
                .matcher(
                        Files.readString(GATEWAY_SRC.resolve("iscsi/session/StallGuard.java"), StandardCharsets.UTF_8));
        assertThat(m.find()).as("StallGuard.STALL_NANOS").isTrue();
        return new BigDecimal(m.group(1)).movePointLeft(3);
    }

    private static boolean same(String a, String b) {
        try {
            return number(a).compareTo(number(b)) == 0;
        } catch (NumberFormatException e) {
            return a.equals(b);
        }
    }

    private static BigDecimal number(String s) {
        return new BigDecimal(s.trim());
    }

    private static String unquote(String s) {
        String t = s.trim();
        if (t.startsWith("`") && t.endsWith("`") && t.length() >= 2) {
            t = t.substring(1, t.length() - 1);
        }
        if (t.startsWith("\"") && t.endsWith("\"") && t.length() >= 2) {
            t = t.substring(1, t.length() - 1);
        }
        return t;
    }
}
