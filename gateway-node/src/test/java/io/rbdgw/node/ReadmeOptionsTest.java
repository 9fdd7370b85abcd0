package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The README's "Standalone options" block names every option the standalone command accepts. */
class ReadmeOptionsTest {

    @Test
    void theReadmeListsEveryStandaloneOption() throws Exception {
        Path readme = Path.of("..", "README.md");
        String text = Files.readString(readme);
        int start = text.indexOf("## Standalone options");
        assertThat(start).as("README.md has a \"Standalone options\" section").isNotNegative();
        int open = text.indexOf("```", start);
        String block = text.substring(open, text.indexOf("```", open + 3));

        CommandLine cmd = new CommandLine(new StandaloneCommand());
        List<String> missing = cmd.getCommandSpec().options().stream()
                .filter(o -> !o.usageHelp() && !o.versionHelp())
                .map(OptionSpec::longestName)
                .filter(name -> !block.matches("(?s).*" + java.util.regex.Pattern.quote(name) + "(?![\\w-]).*"))
                .sorted()
                .toList();
        assertThat(missing)
                .as("standalone options missing from README.md's \"Standalone options\"")
                .isEmpty();
    }
}
