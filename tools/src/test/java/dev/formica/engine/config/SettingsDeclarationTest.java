package dev.formica.engine.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.formica.engine.Formica;
import dev.formica.engine.cli.ServeCommand;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Issue 23, deliverable 3: settings declared once. The docs table is the one {@link Settings} makes; every
 * declared flag is one {@code serve} has, with its help text from the declaration; each declaration's parser sets
 * its own setting and no other; the defaults the docs print are the defaults the class holds; and the
 * {@code shards: 200} finding: a limit is refused before any file is touched.
 */
class SettingsDeclarationTest {
    private static final String BEGIN = "<!-- settings table:";
    private static final String END = "<!-- end of the settings table -->";

    @TempDir
    Path dir;

    @Test
    void shouldHaveTheGeneratedTableInTheDocs() throws Exception {
        Path doc = Path.of("..", "docs", "configuration.md");
        String text = Files.readString(doc);
        int begin = text.indexOf(BEGIN);
        int end = text.indexOf(END);
        assertTrue(begin >= 0 && end > begin, "docs/configuration.md has no generated settings table");
        String table = text.substring(text.indexOf('\n', begin) + 1, end);
        assertEquals(Settings.markdownTable(), table, "docs/configuration.md's settings table is stale: replace it"
                + " with the output of './formica config docs'");
    }

    @Test
    void shouldDeclareEveryServeFlagThatIsASettingWithItsHelpFromTheDeclaration() {
        CommandLine serve = new CommandLine(new ServeCommand());
        Set<String> declared = new TreeSet<>();
        for (Setting s : Settings.ALL) {
            if (s.option() != null) {
                declared.add(s.option());
                OptionSpec option = serve.getCommandSpec().findOption(s.option());
                assertNotNull(option, s.key() + " declares " + s.option() + ", which serve does not have");
                assertEquals(s.key(), option.descriptionKey(), s.option());
                String help = String.join(" ", option.description());
                assertTrue(help.startsWith(s.plainDoc()), s.option() + " help: " + help);
                assertTrue(help.contains(s.environmentVariable()), help);
            }
        }
        // 'config show' takes serve's options as a mixin: the same help texts
        OptionSpec shown = new CommandLine(new Formica()).getSubcommands().get("config").getSubcommands().get("show")
                .getCommandSpec().findOption("--port");
        assertTrue(String.join(" ", shown.description()).startsWith(Settings.byKey("port").plainDoc()),
                String.join(" ", shown.description()));
        // every other flag of serve sets a setting, so it must be declared
        Set<String> settingFlags = new TreeSet<>();
        for (OptionSpec option : serve.getCommandSpec().options()) {
            settingFlags.add(option.longestName());
        }
        settingFlags.removeAll(Set.of("--config", "--warmup-decisions", "--help", "--version"));
        assertEquals(declared, settingFlags, "serve's flags that set a setting are the declared ones");
    }

    @Test
    void shouldSetEachSettingByItsOwnParserAndNoOther() {
        Map<String, String> defaults = new EngineConfiguration().values();
        assertEquals(Settings.keys(), List.copyOf(defaults.keySet()));
        for (Setting s : Settings.ALL) {
            EngineConfiguration c = new EngineConfiguration();
            String sample = sampleOtherThan(s, s.reader().apply(c));
            s.parser().accept(c, sample);
            Map<String, String> after = c.values();
            List<String> changed = new ArrayList<>();
            for (String key : Settings.keys()) {
                if (!after.get(key).equals(defaults.get(key))) {
                    changed.add(key);
                }
            }
            assertEquals(List.of(s.key()), changed, "parsing '" + sample + "' for " + s.key());
        }
    }

    @Test
    void shouldDeclareEverySetterOfTheConfiguration() {
        // concentrationKeys had a setter and a YAML case but was in no key list: no FORMICA_ variable, no line in
        // the start-up print; a setter without a declaration is caught here
        Set<String> setters = new TreeSet<>();
        for (Method m : EngineConfiguration.class.getDeclaredMethods()) {
            int modifiers = m.getModifiers();
            if (Modifier.isPublic(modifiers) && !Modifier.isStatic(modifiers) && m.getParameterCount() == 1
                    && m.getReturnType() == EngineConfiguration.class && !m.getName().equals("applyEnvironment")) {
                setters.add(m.getName());
            }
        }
        assertEquals(setters, new TreeSet<>(Settings.keys()));
    }

    @Test
    void shouldPrintInTheDocsTheDefaultsTheClassHolds() {
        Map<String, String> defaults = new EngineConfiguration().values();
        List<String> wrong = new ArrayList<>();
        for (Setting s : Settings.ALL) {
            String value = defaults.get(s.key());
            String doc = s.plainDefault();
            boolean literal = s.defaultText().startsWith("`");
            if (literal && !doc.toLowerCase(Locale.ROOT).startsWith(value.toLowerCase(Locale.ROOT))) {
                wrong.add(s.key() + ": docs " + doc + ", class " + value);
            }
            if (!literal && !value.equals("(none)") && !value.equals("0")) {
                wrong.add(s.key() + ": docs say '" + doc + "' for the value " + value);
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void shouldRefuseTooManyShardsBeforeAnyFileIsTouched() throws Exception {
        // issue 23, finding 3: 200 shards passed the checks, made 200 shard directories, then failed, and the
        // data directory could never start again
        Path data = dir.resolve("data");
        Path yaml = dir.resolve("formica.yaml");
        Files.writeString(yaml, "shards: 200\ndataDir: " + data + "\nport: 0\n");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> EngineConfiguration.fromYaml(yaml).conclude());
        assertTrue(e.getMessage().contains("shards must be 1.." + EngineConfiguration.MAX_SHARDS), e.getMessage());

        assertEquals(2, Formica.run("serve", "--config", yaml.toString()));
        assertTrue(Files.notExists(data), "the refused start made " + data);
    }

    private static String sampleOtherThan(Setting s, Object current) {
        switch (s.type()) {
            case NUMBER:
                return String.valueOf(((Number) current).longValue() + 7);
            case DURATION:
                return EngineConfiguration.formatDuration(((Duration) current).plusSeconds(7));
            case BOOLEAN:
                return String.valueOf(!((Boolean) current));
            case PATH:
                return "/srv/formica-sample/" + s.key();
            case LIST:
                return "sample-" + s.key() + ":1";
            case MAPPINGS:
                return "[{code: ID, currency: IDR, timeZone: Asia/Jakarta}]";
            case CHOICE:
                for (Object constant : current.getClass().getEnumConstants()) {
                    if (!constant.equals(current)) {
                        return constant.toString();
                    }
                }
                throw new AssertionError(s.key() + " has one choice");
            case TEXT:
            default:
                String sample = "Sample" + s.key();
                assertNotEquals(current, sample);
                return sample;
        }
    }
}
