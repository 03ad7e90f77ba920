package dev.formica.engine.risk;

import dev.formica.engine.rules.CompiledRuleSet;
import dev.formica.engine.rules.ConcentrationPolicy;
import dev.formica.engine.rules.RegulatoryParameters;
import dev.formica.v1.ConcentrationKey;
import dev.formica.v1.ConcentrationReport;
import dev.formica.v1.DimensionConcentration;
import java.util.ArrayList;
import java.util.List;

/**
 * The concentration table as {@code AdminService.GetConcentration} and {@code /metrics} show it.
 *
 * <p>Thread contract: any thread; reads the table without stopping the shards (each key's exposure is read once,
 * so the totals are a consistent sum of values each of which was true at some moment of the walk). Allocates.
 */
public final class ConcentrationReports {
    private ConcentrationReports() {
    }

    /**
     * Exposure per concentration key against the limits in force now (the active rule set, the regulatory version at
     * {@code nowMs}): every key of the table is read once; per dimension the {@code top} largest are listed.
     */
    public static ConcentrationReport build(RiskContext risk, long nowMs, String only, int top) {
        CompiledRuleSet rules = risk.rules().active();
        RegulatoryParameters.Limits regulatory = risk.regulatory().at(nowMs, rules.licence());
        long[] limits = new long[ConcentrationPolicy.Dimension.values().length];
        ConcentrationGuard.limits(rules, regulatory, limits);
        List<List<ConcentrationKey>> keys = new ArrayList<>();
        long[] totals = new long[limits.length];
        long[] counts = new long[limits.length];
        for (int d = 0; d < limits.length; d++) {
            keys.add(new ArrayList<>());
        }
        risk.concentration().forEach((dimension, key, exposure) -> {
            if (exposure == 0) {
                return;
            }
            int d = dimension.ordinal();
            long limit = limits[d];
            totals[d] += exposure;
            counts[d]++;
            keys.get(d).add(ConcentrationKey.newBuilder().setKey(key).setExposureMinor(exposure)
                    .setHeadroomMinor(limit < 0 ? 0 : Math.max(0, limit - exposure))
                    .setUsageBps(limit <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, exposure * 10_000L / limit))
                    .build());
        });
        ConcentrationReport.Builder b = ConcentrationReport.newBuilder().setRuleSetVersion(rules.version())
                .setRegulatoryVersion(regulatory == null ? "" : regulatory.version())
                .setNetAssetsMinor(rules.funding() == null ? 0 : rules.funding().platformNetAssetsMinor())
                .setCapacity(risk.concentration().capacity()).setUntracked(risk.concentration().untracked());
        for (ConcentrationPolicy.Dimension d : ConcentrationPolicy.Dimension.values()) {
            if (!only.isEmpty() && !only.equals(d.label())) {
                continue;
            }
            List<ConcentrationKey> list = keys.get(d.ordinal());
            list.sort((x, y) -> Long.compare(y.getExposureMinor(), x.getExposureMinor()));
            b.addDimensions(DimensionConcentration.newBuilder().setDimension(d.label())
                    .setLimitMinor(limits[d.ordinal()])
                    .setLimitSource(limits[d.ordinal()] < 0 ? "" : ConcentrationGuard.source(rules, regulatory, d))
                    .setKeys(counts[d.ordinal()]).setTotalExposureMinor(totals[d.ordinal()])
                    .addAllTop(list.subList(0, Math.min(top, list.size()))));
        }
        return b.build();
    }

}
