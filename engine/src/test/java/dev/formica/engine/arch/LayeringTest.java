package dev.formica.engine.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.freeze.FreezingArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's layers as rules (docs/contributing.md, "Layers"): imports point down only, packages form no cycle,
 * the command line and the analyst tools stay in the tools module (tools' ToolsLayeringTest checks that side), and
 * the bottom of the engine knows nothing of gRPC or the generated protobuf classes. The last rule is frozen:
 * the pipeline and the risk code still read and build protobuf messages (issue 19, item 6, removes that), so the
 * dependencies that exist today are recorded in {@code src/test/resources/archunit-store} and only a new one fails.
 * A dependency removed is dropped from the store by the next run, so the record can only shrink.
 */
class LayeringTest {
    private static final String ENGINE = "dev.formica.engine";
    private static JavaClasses engine;

    @BeforeAll
    static void importEngine() {
        engine = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ENGINE);
    }

    @Test
    void shouldOnlyImportDownwards() {
        layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Server").definedBy(ENGINE + ".server..")
                .layer("Analysis").definedBy(ENGINE + ".replay..")
                .layer("Pipeline").definedBy(ENGINE + ".pipeline..")
                .layer("Replication").definedBy(ENGINE + ".replication..")
                .layer("Domain").definedBy(ENGINE + ".rules..", ENGINE + ".risk..", ENGINE + ".journal..",
                        ENGINE + ".metrics..")
                .layer("Config").definedBy(ENGINE + ".config..")
                .layer("State").definedBy(ENGINE + ".state..")
                .layer("Funding").definedBy(ENGINE + ".funding..")
                .layer("Log").definedBy(ENGINE + ".log..")
                .layer("Base").definedBy(ENGINE + ".files..", ENGINE + ".errors..", ENGINE + ".pricing..",
                        ENGINE + ".cluster..")
                .whereLayer("Server").mayNotBeAccessedByAnyLayer()
                .whereLayer("Analysis").mayOnlyBeAccessedByLayers("Server")
                .whereLayer("Pipeline").mayOnlyBeAccessedByLayers("Analysis", "Server")
                .whereLayer("Replication").mayOnlyBeAccessedByLayers("Pipeline", "Analysis", "Server")
                .whereLayer("Domain").mayOnlyBeAccessedByLayers("Pipeline", "Analysis", "Server")
                .whereLayer("Config").mayOnlyBeAccessedByLayers("Domain", "Pipeline", "Analysis", "Server")
                .whereLayer("State").mayOnlyBeAccessedByLayers("Config", "Domain", "Pipeline", "Analysis", "Server")
                .whereLayer("Funding").mayOnlyBeAccessedByLayers("State", "Config", "Domain", "Pipeline", "Analysis",
                        "Server")
                .whereLayer("Log").mayOnlyBeAccessedByLayers("Funding", "State", "Config", "Domain", "Replication",
                        "Pipeline", "Analysis", "Server")
                .check(engine);
    }

    @Test
    void shouldKeepTheCommandLineAndTheAnalystToolsOutOfTheEngine() {
        noClasses().should().resideInAnyPackage(ENGINE + ".cli..", ENGINE + ".stress..", ENGINE + ".scorecard..")
                .orShould().dependOnClassesThat().resideInAnyPackage("picocli..", "dev.formica.loadtest..",
                        "dev.formica.client..")
                .because("the engine is the server as a library; the CLI and the analyst tools live in tools")
                .check(engine);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        slices().matching(ENGINE + ".(*)..").should().beFreeOfCycles().check(engine);
    }

    @Test
    void shouldKeepTheStorageLayersFreeOfGrpcAndProtobuf() {
        noClasses().that().resideInAnyPackage(ENGINE + ".files..", ENGINE + ".log..", ENGINE + ".state..",
                        ENGINE + ".config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "dev.formica.v1..",
                        "com.google.protobuf..")
                .check(engine);
    }

    @Test
    void shouldAddNoGrpcOrProtobufBelowTheServer() {
        // ".cli.." left the engine (tools) but stays in the text: the text is the key of the frozen store
        ArchRule rule = noClasses().that().resideOutsideOfPackages(ENGINE, ENGINE + ".cli..", ENGINE + ".server..")
                .should().dependOnClassesThat().resideInAnyPackage("io.grpc..", "dev.formica.v1..",
                        "com.google.protobuf..")
                .because("the shard kernel is to know no gRPC or protobuf (issue 19, item 6)");
        FreezingArchRule.freeze(rule).check(engine);
    }
}
