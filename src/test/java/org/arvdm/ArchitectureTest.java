package org.arvdm;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of the service (each package's package-info.java says what lives there),
 * checked on the compiled main classes: the engine ({@code generation}, {@code memory}) is plain
 * Java behind its ports; Spring only at the edge ({@code api}, {@code config} and the
 * application class); no package cycles.
 */
class ArchitectureTest {
    static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.arvdm");
    }

    @Test
    void theEngineKnowsNoFrameworkAndNoEdge() {
        check(noClasses()
                .that()
                .resideInAnyPackage("org.arvdm.generation..", "org.arvdm.memory..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.springframework..",
                        "ai.djl..",
                        "io.micrometer..",
                        "reactor.netty..",
                        "tools.jackson..",
                        "org.arvdm.api..",
                        "org.arvdm.config..",
                        "org.arvdm.diagnostics..",
                        "org.arvdm.session..",
                        "org.arvdm.metrics..",
                        "org.arvdm.model.."));
    }

    /**
     * The engine, the sessions and the evaluations report through their observer ports
     * ({@code EngineObserver}, {@code SessionObserver}, a report callback), which
     * {@code metrics.ArvdmMetrics} implements; none of them knows the metrics package or Micrometer.
     */
    @Test
    void metricsAreReachedOnlyThroughObservers() {
        check(noClasses()
                .that()
                .resideInAnyPackage(
                        "org.arvdm.generation..",
                        "org.arvdm.memory..",
                        "org.arvdm.session..",
                        "org.arvdm.diagnostics..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.arvdm.metrics..", "io.micrometer.."));
    }

    @Test
    void springOnlyAtTheEdge() {
        check(noClasses()
                .that()
                .resideOutsideOfPackages("org.arvdm.api..", "org.arvdm.config..")
                .and()
                .doNotHaveFullyQualifiedName("org.arvdm.ArvdmApplication")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.springframework.."));
    }

    @Test
    void nothingBelowTheEdgeReachesUp() {
        check(noClasses()
                .that()
                .resideOutsideOfPackages("org.arvdm.api..", "org.arvdm.config..")
                .and()
                .doNotHaveFullyQualifiedName("org.arvdm.ArvdmApplication")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.arvdm.api..", "org.arvdm.config.."));
    }

    @Test
    void djlOnlyInTheModelPackage() {
        check(noClasses()
                .that()
                .resideOutsideOfPackage("org.arvdm.model..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("ai.djl.."));
    }

    @Test
    void theServiceDoesNotDependOnTheOfflineReport() {
        check(noClasses()
                .that()
                .resideOutsideOfPackage("org.arvdm.report..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.arvdm.report.."));
    }

    @Test
    void noPackageCycles() {
        check(slices().matching("org.arvdm.(*)..").should().beFreeOfCycles());
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }
}
