package dev.formica.engine.cli;

import dev.formica.engine.config.Setting;
import dev.formica.engine.config.Settings;
import java.util.ListResourceBundle;

/**
 * The texts of {@code formica serve --help} (and {@code config show --help}) for the flags that are settings, made
 * from their declarations in {@link Settings}: picocli finds a flag's text under the key its {@code descriptionKey}
 * names, which is the setting's key. So the help, the docs table and the start-up print cannot disagree.
 */
public final class SettingsHelp extends ListResourceBundle {
    @Override
    protected Object[][] getContents() {
        return Settings.ALL.stream().filter(s -> s.option() != null)
                .map(s -> new Object[] {s.key(), help(s)}).toArray(Object[][]::new);
    }

    private static String help(Setting s) {
        return s.plainDoc() + " (default " + s.plainDefault() + "; YAML " + s.key() + ", " + s.environmentVariable()
                + ")";
    }
}
