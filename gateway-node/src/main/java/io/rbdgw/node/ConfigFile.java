package io.rbdgw.node;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --config FILE} for the gateway commands: a YAML file whose keys are the command's long option
 * names without the dashes ({@code zookeeper: zk1:2181}, {@code listen: [a:3260, b:3260]},
 * {@code memory: true}). Its options are put in front of the command line's, and an option the command
 * line gives replaces the file's value entirely (also for repeatable ones like {@code listen}), so an
 * operator can override one setting of {@code /etc/rbdgw/gateway.yml} for a single start.
 *
 * <p>This works on the argument list before picocli parses it, so the commands need no field for it and
 * every option they have is available in the file, including ones added later.
 */
final class ConfigFile {

    static final String OPTION = "--config";

    private ConfigFile() {}

    /**
     * The arguments with {@code --config FILE} (or {@code --config=FILE}) after a subcommand replaced by
     * the file's options; the arguments unchanged when there is none.
     *
     * @throws IllegalArgumentException with a message naming the file and the key for a file that cannot
     *     be read, is not a YAML mapping, or names an option the command does not have
     */
    static String[] expand(String[] args, CommandLine root) {
        if (args.length == 0 || !root.getSubcommands().containsKey(args[0])) {
            return args;
        }
        CommandSpec command = root.getSubcommands().get(args[0]).getCommandSpec();
        Path file = null;
        List<String> rest = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) { // end of options: the rest is positional
                for (; i < args.length; i++) {
                    rest.add(args[i]);
                }
                break;
            }
            if (a.equals(OPTION) || a.startsWith(OPTION + "=")) {
                if (file != null) {
                    throw new IllegalArgumentException(OPTION + " given twice");
                }
                String value =
                        a.equals(OPTION) ? (i + 1 < args.length ? args[++i] : null) : a.substring(OPTION.length() + 1);
                if (value == null || value.isEmpty()) {
                    throw new IllegalArgumentException(OPTION + " needs a file name");
                }
                file = Path.of(value);
            } else {
                rest.add(a);
            }
        }
        if (file == null) {
            return args;
        }
        Set<String> given = optionsGiven(rest, command);
        List<String> out = new ArrayList<>();
        out.add(args[0]);
        out.addAll(optionsFrom(file, command, given));
        out.addAll(rest);
        return out.toArray(String[]::new);
    }

    /** Names (the option's longest name) of the options that appear in {@code args}. */
    private static Set<String> optionsGiven(List<String> args, CommandSpec command) {
        Set<String> given = new HashSet<>();
        for (String a : args) {
            if (a.equals("--")) {
                break;
            }
            if (a.startsWith("-")) {
                int eq = a.indexOf('=');
                OptionSpec o = command.findOption(eq < 0 ? a : a.substring(0, eq));
                if (o != null) {
                    given.add(o.longestName());
                }
            }
        }
        return given;
    }

    private static List<String> optionsFrom(Path file, CommandSpec command, Set<String> overridden) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read it: " + e.getMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return List.of(); // an empty file: all defaults
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": expected a mapping of option names to values");
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String key = e.getKey();
            OptionSpec o = command.findOption("--" + key);
            if (o == null || key.equals("help") || key.equals("version")) {
                throw new IllegalArgumentException(file + ": '" + key + "' is not an option of '" + command.name()
                        + "' (keys are the long option names without the dashes)");
            }
            if (overridden.contains(o.longestName())) {
                continue;
            }
            JsonNode v = e.getValue();
            if (o.arity().max() == 0) { // a flag: true sets it, false leaves the default
                if (!v.isBoolean()) {
                    throw new IllegalArgumentException(file + ": '" + key + "' is a switch: true or false");
                }
                if (v.booleanValue()) {
                    out.add(o.longestName());
                }
                continue;
            }
            List<JsonNode> values = new ArrayList<>();
            if (v.isArray()) {
                if (!o.isMultiValue()) {
                    throw new IllegalArgumentException(file + ": '" + key + "' takes one value, not a list");
                }
                v.forEach(values::add);
            } else {
                values.add(v);
            }
            for (JsonNode value : values) {
                if (!value.isValueNode() || value.isNull()) {
                    throw new IllegalArgumentException(file + ": '" + key + "' needs a value (a string or number)");
                }
                // one token "--name=value": a value starting with '-' is not mistaken for an option
                out.add(o.longestName() + "=" + value.asText());
            }
        }
        return out;
    }
}
