package dev.formica.benchmarks.drools;

import dev.formica.engine.rules.FeatureLayout;
import dev.formica.engine.rules.FeatureVector;
import dev.formica.engine.rules.Features;
import java.util.SplittableRandom;

/**
 * Pseudo-random but plausible decisions for the rule benchmarks: mostly clean traffic, with a few per cent in the
 * tail of each fraud and credit signal so that every rule of the default set fires on some inputs. The same
 * {@link Applicant} is turned into a Formica {@link FeatureVector}, so both engines see identical data.
 *
 * <p>Thread contract: stateless static helpers.
 */
public final class RuleInputs {
    private static final String[] PRODUCTS = {"CONSUMER_CREDIT", "CASH_LOAN", "BUSINESS_LOAN"};
    private static final String[] CHANNELS = {"", "APP", "WEB", "MINI_PROGRAM", "POS", "API"};
    private static final String[] USUAL_MCC = {"5411", "5812", "5999", "5732", "4111", "5311", "5651", "5912",
        "7011", "4121"};
    private static final String[] HIGH_RISK_MCC = {"7995", "7801", "7802", "6051", "6211"};
    private static final String[] QUASI_CASH_MCC = {"4829", "6540", "6012"};
    private static final String[] HOUSING = {"own", "mortgage", "rent", "family"};
    private static final String[] FOREIGN = {"HK", "SG", "US", "MY"};

    private RuleInputs() {
    }

    /** {@code n} applicants from {@code seed}; the same seed gives the same applicants. */
    public static Applicant[] generate(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Applicant[] out = new Applicant[n];
        for (int i = 0; i < n; i++) {
            out[i] = one(r);
        }
        return out;
    }

    private static Applicant one(SplittableRandom r) {
        Applicant a = new Applicant();
        double p = r.nextDouble();
        a.setProduct(p < 0.6 ? PRODUCTS[0] : p < 0.9 ? PRODUCTS[1] : PRODUCTS[2]);
        double c = r.nextDouble();
        a.setChannel(CHANNELS[c < 0.03 ? 0 : c < 0.5 ? 1 : c < 0.65 ? 2 : c < 0.85 ? 3 : c < 0.95 ? 4 : 5]);
        // log-uniform 20 CNY .. 80,000 CNY
        a.setAmountMinor((long) Math.exp(Math.log(2_000) + r.nextDouble() * (Math.log(8_000_000) - Math.log(2_000))));
        double m = r.nextDouble();
        a.setMerchantCategory(m < 0.02 ? pick(r, HIGH_RISK_MCC) : m < 0.06 ? pick(r, QUASI_CASH_MCC)
                : m < 0.08 ? "" : pick(r, USUAL_MCC));
        a.setHourOfDay(r.nextInt(24));
        a.setRegionMismatch(r.nextDouble() < 0.08);
        if (r.nextDouble() < 0.85) {
            long line = 50_000L * (1 + r.nextInt(100));
            long used = (long) (line * r.nextDouble() * r.nextDouble());
            a.setLineMinor(line);
            a.setAvailableMinor(line - used);
            a.setUtilisationBps(used * 10_000L / line);
        }
        a.setAnnualIncomeMinor(r.nextDouble() < 0.1 ? null : 1_000_000L + r.nextLong(50_000_000L));
        a.setBorrowerWatch(r.nextDouble() < 0.02);
        a.setHistoryCount(r.nextDouble() < 0.2 ? 0 : 1 + r.nextInt(200));
        a.setAmountZscore(r.nextDouble() < 0.04 ? 4.0 + r.nextDouble() * 6 : r.nextGaussian());
        a.setDeviceNew(r.nextDouble() < 0.1);
        a.setBlockedBorrower(r.nextDouble() < 0.01);
        a.setBlockedDevice(r.nextDouble() < 0.01);
        a.setBlockedIp(r.nextDouble() < 0.01);
        a.setBlockedMerchant(r.nextDouble() < 0.01);
        a.setBorrowerCount1m(tail(r, 0.02, 3, 6, 15));
        a.setBorrowerCount1h(Math.max(a.getBorrowerCount1m(), tail(r, 0.02, 10, 21, 60)));
        a.setBorrowerCount24h(Math.max(a.getBorrowerCount1h(), tail(r, 0.02, 30, 61, 200)));
        a.setBorrowerSum1h(a.getAmountMinor() * a.getBorrowerCount1h() / (r.nextDouble() < 0.97 ? 4 : 1));
        a.setDeviceCount1m(tail(r, 0.02, 4, 9, 30));
        a.setDeviceCount1h(Math.max(a.getDeviceCount1m(), tail(r, 0.02, 15, 31, 100)));
        a.setDeviceSum24h(r.nextDouble() < 0.03 ? 5_000_001L + r.nextLong(20_000_000L) : r.nextLong(3_000_000L));
        a.setIpCount1m(tail(r, 0.02, 10, 21, 80));
        a.setIpCount1h(Math.max(a.getIpCount1m(), tail(r, 0.02, 100, 201, 1_000)));
        a.setMerchantCount1m(tail(r, 0.05, 300, 601, 2_000));
        long perHour = a.getMerchantCount1m() * (r.nextDouble() < 0.5 ? 10 : 40);
        a.setMerchantCount1h(Math.max(a.getMerchantCount1m(), perHour));
        a.setDeviceEmulator(r.nextDouble() < 0.01);
        a.setDeviceRooted(r.nextDouble() < 0.03);
        a.setIpProxy(r.nextDouble() < 0.05);
        double ip = r.nextDouble();
        a.setIpCountry(ip < 0.03 ? "" : ip < 0.07 ? pick(r, FOREIGN) : "CN");
        a.setAccountAgeDays(r.nextDouble() < 0.05 ? 1 + r.nextInt(6) : 7 + r.nextInt(3_000));
        a.setPhoneMonths(r.nextDouble() < 0.05 ? 1 + r.nextInt(2) : 3 + r.nextInt(150));
        double k = r.nextDouble();
        a.setKycLevel(k < 0.1 ? 1 : k < 0.5 ? 2 : 3);
        a.setAge(r.nextDouble() < 0.01 ? 16 + r.nextInt(2) : 18 + r.nextInt(52));
        if (r.nextDouble() < 0.9) { // the rest have no bureau file
            double l = r.nextDouble();
            a.setActiveLenders(l < 0.35 ? 0 : l < 0.6 ? 1 : l < 0.77 ? 2 : l < 0.87 ? 3 : l < 0.92 ? 4
                    : 5 + r.nextInt(4));
            a.setMonthsOnBook(r.nextInt(200));
            a.setOverdue24m(r.nextDouble() < 0.8 ? 0 : 1 + r.nextInt(5));
            double d = r.nextDouble();
            a.setMaxDpd12m(d < 0.8 ? 0 : d < 0.9 ? 1 + r.nextInt(29)
                    : d < 0.96 ? 30 + r.nextInt(60) : 90 + r.nextInt(90));
            a.setInquiries3m(r.nextDouble() < 0.06 ? 6 + r.nextInt(6) : r.nextInt(6));
            a.setDebtToIncomeBps(r.nextDouble() < 0.05 ? 7_001 + r.nextInt(3_000) : r.nextInt(7_000));
        }
        a.setEmploymentMonths(r.nextDouble() < 0.05 ? null : r.nextInt(240));
        a.setHousing(r.nextDouble() < 0.05 ? null : pick(r, HOUSING));
        return a;
    }

    private static String pick(SplittableRandom r, String[] values) {
        return values[r.nextInt(values.length)];
    }

    /** Usually 0..usual, with probability {@code p} a value in [tailMin, tailMax]. */
    private static long tail(SplittableRandom r, double p, int usual, int tailMin, int tailMax) {
        return r.nextDouble() < p ? tailMin + r.nextInt(tailMax - tailMin + 1) : r.nextInt(usual + 1);
    }

    /**
     * The same applicant as Formica's feature vector for {@code layout}: nulls and empty strings stay absent, as
     * {@code RiskEvaluator} leaves absent what the request and profile do not carry.
     */
    public static FeatureVector toVector(Applicant a, FeatureLayout layout) {
        FeatureVector f = new FeatureVector(layout.size());
        f.setInt(Features.AMOUNT_MINOR, a.getAmountMinor());
        string(f, Features.PRODUCT, a.getProduct());
        string(f, Features.CHANNEL, a.getChannel());
        string(f, Features.MERCHANT_CATEGORY, a.getMerchantCategory());
        f.setInt(Features.HOUR_OF_DAY, a.getHourOfDay());
        f.setBool(Features.REGION_MISMATCH, a.isRegionMismatch());
        f.setInt(Features.LINE_MINOR, a.getLineMinor());
        f.setInt(Features.LINE_AVAILABLE, a.getAvailableMinor());
        f.setInt(Features.LINE_UTILISATION, a.getUtilisationBps());
        if (a.getAnnualIncomeMinor() != null) {
            f.setInt(Features.PROFILE_INCOME, a.getAnnualIncomeMinor());
        }
        f.setBool(Features.BORROWER_WATCH, a.isBorrowerWatch());
        f.setInt(Features.HISTORY_COUNT, a.getHistoryCount());
        f.setDouble(Features.AMOUNT_ZSCORE, a.getAmountZscore());
        f.setBool(Features.DEVICE_NEW, a.isDeviceNew());
        f.setBool(Features.BLOCKED_BORROWER, a.isBlockedBorrower());
        f.setBool(Features.BLOCKED_DEVICE, a.isBlockedDevice());
        f.setBool(Features.BLOCKED_IP, a.isBlockedIp());
        f.setBool(Features.BLOCKED_MERCHANT, a.isBlockedMerchant());
        f.setInt(Features.velocity(0, false, 0), a.getBorrowerCount1m());
        f.setInt(Features.velocity(0, false, 1), a.getBorrowerCount1h());
        f.setInt(Features.velocity(0, false, 2), a.getBorrowerCount24h());
        f.setInt(Features.velocity(0, true, 1), a.getBorrowerSum1h());
        f.setInt(Features.velocity(1, false, 0), a.getDeviceCount1m());
        f.setInt(Features.velocity(1, false, 1), a.getDeviceCount1h());
        f.setInt(Features.velocity(1, true, 2), a.getDeviceSum24h());
        f.setInt(Features.velocity(2, false, 0), a.getIpCount1m());
        f.setInt(Features.velocity(2, false, 1), a.getIpCount1h());
        f.setInt(Features.velocity(3, false, 0), a.getMerchantCount1m());
        f.setInt(Features.velocity(3, false, 1), a.getMerchantCount1h());
        integer(f, layout, "bureau.active_lenders", a.getActiveLenders());
        integer(f, layout, "bureau.months_on_book", a.getMonthsOnBook());
        integer(f, layout, "bureau.overdue_24m", a.getOverdue24m());
        integer(f, layout, "bureau.max_dpd_12m", a.getMaxDpd12m());
        integer(f, layout, "bureau.inquiries_3m", a.getInquiries3m());
        integer(f, layout, "bureau.debt_to_income_bps", a.getDebtToIncomeBps());
        integer(f, layout, "employment.months", a.getEmploymentMonths());
        string(f, slot(layout, "housing"), a.getHousing());
        integer(f, layout, "age", a.getAge());
        integer(f, layout, "kyc.level", a.getKycLevel());
        f.setBool(slot(layout, "device.rooted"), a.isDeviceRooted());
        f.setBool(slot(layout, "device.emulator"), a.isDeviceEmulator());
        f.setBool(slot(layout, "ip.proxy"), a.isIpProxy());
        string(f, slot(layout, "ip.country"), a.getIpCountry());
        f.setInt(slot(layout, "account.age_days"), a.getAccountAgeDays());
        f.setInt(slot(layout, "phone.months"), a.getPhoneMonths());
        return f;
    }

    private static int slot(FeatureLayout layout, String name) {
        FeatureLayout.Slot s = layout.slot(name);
        if (s == null) {
            throw new IllegalStateException("the default rule set no longer declares " + name);
        }
        return s.index();
    }

    private static void integer(FeatureVector f, FeatureLayout layout, String name, Integer value) {
        if (value != null) {
            f.setInt(slot(layout, name), value);
        }
    }

    private static void string(FeatureVector f, int slot, String value) {
        if (value != null && !value.isEmpty()) {
            f.setString(slot, value);
        }
    }
}
