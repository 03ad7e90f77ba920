package dev.formica.engine.config;

import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One setting of the engine, declared once in {@link Settings}: its YAML key (from which the {@code FORMICA_*}
 * variable follows), the {@code serve} flag if it has one, its type, its default as the docs write it, what it
 * means, and how it is parsed into and read from an {@link EngineConfiguration}. A value's range is checked by
 * {@link EngineConfiguration#conclude()}, with the settings it must agree with, before any file is touched.
 *
 * @param key the YAML key, e.g. {@code holdTtl}
 * @param option the {@code formica serve} flag, e.g. {@code --data-dir}, or null when the setting has none
 * @param type what the value is
 * @param defaultText the default as docs/configuration.md writes it (Markdown)
 * @param doc what the setting does (Markdown: the docs table; {@code --help} shows it as plain text)
 * @param parser sets the value from its text (one item for a list)
 * @param reader the value as set
 * @param listSetter sets a list setting from its items; null for the others
 */
public record Setting(String key, String option, Type type, String defaultText, String doc,
        BiConsumer<EngineConfiguration, String> parser, Function<EngineConfiguration, Object> reader,
        BiConsumer<EngineConfiguration, List<String>> listSetter) {

    /** What a value is, as {@code --help} and the docs name it. */
    public enum Type {
        TEXT, NUMBER, DURATION, PATH, BOOLEAN, CHOICE, LIST,
        /** A YAML list of mappings (in a variable: the same list as YAML text), e.g. {@code markets}. */
        MAPPINGS
    }

    static Setting of(String key, String option, Type type, String defaultText, String doc,
            BiConsumer<EngineConfiguration, String> parser, Function<EngineConfiguration, Object> reader) {
        return new Setting(key, option, type, defaultText, doc, parser, reader, null);
    }

    static Setting list(String key, String option, String defaultText, String doc,
            BiConsumer<EngineConfiguration, List<String>> listSetter, Function<EngineConfiguration, Object> reader) {
        return new Setting(key, option, Type.LIST, defaultText, doc, (c, v) -> listSetter.accept(c, List.of(v)),
                reader, listSetter);
    }

    /** Whether the value is a list (a YAML list, {@code ;}-separated in a variable, a repeatable flag). */
    public boolean isList() {
        return listSetter != null;
    }

    /** The environment variable: {@code FORMICA_} and the key in upper snake case ({@code FORMICA_DATA_DIR}). */
    public String environmentVariable() {
        return EngineConfiguration.ENV_PREFIX + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
    }

    /** {@link #doc} without Markdown: code quotes dropped, links reduced to their text (for {@code --help}). */
    public String plainDoc() {
        return plain(doc);
    }

    /** {@link #defaultText} without Markdown. */
    public String plainDefault() {
        return plain(defaultText);
    }

    private static String plain(String markdown) {
        return markdown.replace("`", "").replaceAll("\\[([^]]+)]\\([^)]+\\)", "$1");
    }
}
