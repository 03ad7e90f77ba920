package dev.formica.tools.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.Location;
import dev.formica.engine.Formica;
import dev.formica.engine.server.EngineServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The two modules' direction as rules (docs/contributing.md, "Modules"): tools may use the engine, the engine never
 * uses tools, and tools reach the engine through its API (server, pipeline, config, replay, journal, rules), not
 * the shard's stores and log. The tools classes keep their engine package names, so they are told apart by where
 * they were loaded from: tools' {@code target/classes} against the engine's classes or jar.
 */
class ToolsLayeringTest {
    private static final String ENGINE = "dev.formica.engine";
    private static URI tools;
    private static JavaClasses classes;

    @BeforeAll
    static void importBothModules() throws URISyntaxException {
        tools = location(Formica.class);
        URI engine = location(EngineServer.class);
        classes = new ClassFileImporter().importLocations(Set.of(Location.of(tools), classesOrJar(engine)));
    }

    /** target/classes in a reactor run up to {@code test}; the packaged jar in a full {@code mvn verify}. */
    private static Location classesOrJar(URI uri) {
        if (!uri.getPath().endsWith(".jar")) {
            return Location.of(uri);
        }
        try (JarFile jar = new JarFile(Path.of(uri).toFile())) {
            return Location.of(jar);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static URI location(Class<?> c) throws URISyntaxException {
        return c.getProtectionDomain().getCodeSource().getLocation().toURI();
    }

    private static final DescribedPredicate<JavaClass> IN_TOOLS = DescribedPredicate.describe("in the tools module",
            c -> c.getSource().map(s -> s.getUri().toString().contains(tools.getPath())).orElse(false));

    @Test
    void shouldImportBothModules() {
        // the rules below hold vacuously if either side is missing
        long inTools = classes.stream().filter(IN_TOOLS).count();
        assertTrue(inTools > 20 && classes.size() - inTools > 100,
                "tools " + inTools + ", engine " + (classes.size() - inTools) + "; tools at " + tools + ", e.g. "
                        + classes.get(Formica.class).getSource());
    }

    @Test
    void shouldNotLetTheEngineDependOnTools() {
        noClasses().that(DescribedPredicate.not(IN_TOOLS)).should().dependOnClassesThat(IN_TOOLS)
                .because("tools depends on the engine, not the reverse").check(classes);
    }

    @Test
    void shouldReachTheEngineThroughItsApiNotTheShardKernel() {
        noClasses().that(IN_TOOLS).should().dependOnClassesThat().resideInAnyPackage(ENGINE + ".state..",
                        ENGINE + ".log..", ENGINE + ".funding..")
                .because("the shard's stores and log are the engine's to change; tools go through EngineServer,"
                        + " DecisionPipeline, Sandbox and Journals")
                .check(classes);
    }

    @Test
    void shouldKeepTheAnalystToolsBelowTheCommandLine() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Cli").definedBy(DescribedPredicate.and(IN_TOOLS, DescribedPredicate.describe("in cli",
                        (JavaClass c) -> c.getPackageName().equals(ENGINE)
                                || c.getPackageName().startsWith(ENGINE + ".cli"))))
                .layer("Tools").definedBy(DescribedPredicate.and(IN_TOOLS, DescribedPredicate.describe(
                        "stress, scorecard or replay", (JavaClass c) -> !c.getPackageName().equals(ENGINE)
                                && !c.getPackageName().startsWith(ENGINE + ".cli"))))
                .whereLayer("Cli").mayNotBeAccessedByAnyLayer()
                .whereLayer("Tools").mayOnlyBeAccessedByLayers("Cli")
                .check(classes);
    }
}
