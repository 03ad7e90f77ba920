package dev.formica.benchmarks.drools;

/**
 * The Drools fact of {@code DroolsRuleBenchmark}: one decision's features as a JavaBean, only those the shipped
 * default rule set reads. Each property names its Formica feature. Boxed properties are the scorecard's
 * optional attributes ({@code null} = missing, which scores the attribute's missing points); strings are
 * {@code ""} when unknown, as Formica's expressions read an absent string, except {@code housing}.
 *
 * <p>Thread contract: a plain mutable bean, filled once in the benchmark's setup and then only read.
 */
public final class Applicant {
    /** amount_minor */
    private long amountMinor;
    /** product */
    private String product = "";
    /** channel */
    private String channel = "";
    /** merchant_category */
    private String merchantCategory = "";
    /** hour_of_day */
    private int hourOfDay;
    /** region_mismatch */
    private boolean regionMismatch;
    /** line.line_minor */
    private long lineMinor;
    /** line.available_minor */
    private long availableMinor;
    /** line.utilisation_bps */
    private long utilisationBps;
    /** profile.annual_income_minor */
    private Long annualIncomeMinor;
    /** borrower.watch */
    private boolean borrowerWatch;
    /** history.count */
    private int historyCount;
    /** amount_zscore */
    private double amountZscore;
    /** device.new */
    private boolean deviceNew;
    /** blocked.borrower */
    private boolean blockedBorrower;
    /** blocked.device */
    private boolean blockedDevice;
    /** blocked.ip */
    private boolean blockedIp;
    /** blocked.merchant */
    private boolean blockedMerchant;
    /** velocity.borrower.count_1m */
    private long borrowerCount1m;
    /** velocity.borrower.count_1h */
    private long borrowerCount1h;
    /** velocity.borrower.count_24h */
    private long borrowerCount24h;
    /** velocity.borrower.sum_1h */
    private long borrowerSum1h;
    /** velocity.device.count_1m */
    private long deviceCount1m;
    /** velocity.device.count_1h */
    private long deviceCount1h;
    /** velocity.device.sum_24h */
    private long deviceSum24h;
    /** velocity.ip.count_1m */
    private long ipCount1m;
    /** velocity.ip.count_1h */
    private long ipCount1h;
    /** velocity.merchant.count_1m */
    private long merchantCount1m;
    /** velocity.merchant.count_1h */
    private long merchantCount1h;
    /** bureau.active_lenders */
    private Integer activeLenders;
    /** bureau.months_on_book */
    private Integer monthsOnBook;
    /** bureau.overdue_24m */
    private Integer overdue24m;
    /** bureau.max_dpd_12m */
    private Integer maxDpd12m;
    /** bureau.inquiries_3m */
    private Integer inquiries3m;
    /** bureau.debt_to_income_bps */
    private Integer debtToIncomeBps;
    /** employment.months */
    private Integer employmentMonths;
    /** housing */
    private String housing;
    /** age */
    private Integer age;
    /** kyc.level */
    private Integer kycLevel;
    /** device.rooted */
    private boolean deviceRooted;
    /** device.emulator */
    private boolean deviceEmulator;
    /** ip.proxy */
    private boolean ipProxy;
    /** ip.country */
    private String ipCountry = "";
    /** account.age_days */
    private int accountAgeDays;
    /** phone.months */
    private int phoneMonths;

    public long getAmountMinor() {
        return amountMinor;
    }

    public Applicant setAmountMinor(long value) {
        this.amountMinor = value;
        return this;
    }

    public String getProduct() {
        return product;
    }

    public Applicant setProduct(String value) {
        this.product = value;
        return this;
    }

    public String getChannel() {
        return channel;
    }

    public Applicant setChannel(String value) {
        this.channel = value;
        return this;
    }

    public String getMerchantCategory() {
        return merchantCategory;
    }

    public Applicant setMerchantCategory(String value) {
        this.merchantCategory = value;
        return this;
    }

    public int getHourOfDay() {
        return hourOfDay;
    }

    public Applicant setHourOfDay(int value) {
        this.hourOfDay = value;
        return this;
    }

    public boolean isRegionMismatch() {
        return regionMismatch;
    }

    public Applicant setRegionMismatch(boolean value) {
        this.regionMismatch = value;
        return this;
    }

    public long getLineMinor() {
        return lineMinor;
    }

    public Applicant setLineMinor(long value) {
        this.lineMinor = value;
        return this;
    }

    public long getAvailableMinor() {
        return availableMinor;
    }

    public Applicant setAvailableMinor(long value) {
        this.availableMinor = value;
        return this;
    }

    public long getUtilisationBps() {
        return utilisationBps;
    }

    public Applicant setUtilisationBps(long value) {
        this.utilisationBps = value;
        return this;
    }

    public Long getAnnualIncomeMinor() {
        return annualIncomeMinor;
    }

    public Applicant setAnnualIncomeMinor(Long value) {
        this.annualIncomeMinor = value;
        return this;
    }

    public boolean isBorrowerWatch() {
        return borrowerWatch;
    }

    public Applicant setBorrowerWatch(boolean value) {
        this.borrowerWatch = value;
        return this;
    }

    public int getHistoryCount() {
        return historyCount;
    }

    public Applicant setHistoryCount(int value) {
        this.historyCount = value;
        return this;
    }

    public double getAmountZscore() {
        return amountZscore;
    }

    public Applicant setAmountZscore(double value) {
        this.amountZscore = value;
        return this;
    }

    public boolean isDeviceNew() {
        return deviceNew;
    }

    public Applicant setDeviceNew(boolean value) {
        this.deviceNew = value;
        return this;
    }

    public boolean isBlockedBorrower() {
        return blockedBorrower;
    }

    public Applicant setBlockedBorrower(boolean value) {
        this.blockedBorrower = value;
        return this;
    }

    public boolean isBlockedDevice() {
        return blockedDevice;
    }

    public Applicant setBlockedDevice(boolean value) {
        this.blockedDevice = value;
        return this;
    }

    public boolean isBlockedIp() {
        return blockedIp;
    }

    public Applicant setBlockedIp(boolean value) {
        this.blockedIp = value;
        return this;
    }

    public boolean isBlockedMerchant() {
        return blockedMerchant;
    }

    public Applicant setBlockedMerchant(boolean value) {
        this.blockedMerchant = value;
        return this;
    }

    public long getBorrowerCount1m() {
        return borrowerCount1m;
    }

    public Applicant setBorrowerCount1m(long value) {
        this.borrowerCount1m = value;
        return this;
    }

    public long getBorrowerCount1h() {
        return borrowerCount1h;
    }

    public Applicant setBorrowerCount1h(long value) {
        this.borrowerCount1h = value;
        return this;
    }

    public long getBorrowerCount24h() {
        return borrowerCount24h;
    }

    public Applicant setBorrowerCount24h(long value) {
        this.borrowerCount24h = value;
        return this;
    }

    public long getBorrowerSum1h() {
        return borrowerSum1h;
    }

    public Applicant setBorrowerSum1h(long value) {
        this.borrowerSum1h = value;
        return this;
    }

    public long getDeviceCount1m() {
        return deviceCount1m;
    }

    public Applicant setDeviceCount1m(long value) {
        this.deviceCount1m = value;
        return this;
    }

    public long getDeviceCount1h() {
        return deviceCount1h;
    }

    public Applicant setDeviceCount1h(long value) {
        this.deviceCount1h = value;
        return this;
    }

    public long getDeviceSum24h() {
        return deviceSum24h;
    }

    public Applicant setDeviceSum24h(long value) {
        this.deviceSum24h = value;
        return this;
    }

    public long getIpCount1m() {
        return ipCount1m;
    }

    public Applicant setIpCount1m(long value) {
        this.ipCount1m = value;
        return this;
    }

    public long getIpCount1h() {
        return ipCount1h;
    }

    public Applicant setIpCount1h(long value) {
        this.ipCount1h = value;
        return this;
    }

    public long getMerchantCount1m() {
        return merchantCount1m;
    }

    public Applicant setMerchantCount1m(long value) {
        this.merchantCount1m = value;
        return this;
    }

    public long getMerchantCount1h() {
        return merchantCount1h;
    }

    public Applicant setMerchantCount1h(long value) {
        this.merchantCount1h = value;
        return this;
    }

    public Integer getActiveLenders() {
        return activeLenders;
    }

    public Applicant setActiveLenders(Integer value) {
        this.activeLenders = value;
        return this;
    }

    public Integer getMonthsOnBook() {
        return monthsOnBook;
    }

    public Applicant setMonthsOnBook(Integer value) {
        this.monthsOnBook = value;
        return this;
    }

    public Integer getOverdue24m() {
        return overdue24m;
    }

    public Applicant setOverdue24m(Integer value) {
        this.overdue24m = value;
        return this;
    }

    public Integer getMaxDpd12m() {
        return maxDpd12m;
    }

    public Applicant setMaxDpd12m(Integer value) {
        this.maxDpd12m = value;
        return this;
    }

    public Integer getInquiries3m() {
        return inquiries3m;
    }

    public Applicant setInquiries3m(Integer value) {
        this.inquiries3m = value;
        return this;
    }

    public Integer getDebtToIncomeBps() {
        return debtToIncomeBps;
    }

    public Applicant setDebtToIncomeBps(Integer value) {
        this.debtToIncomeBps = value;
        return this;
    }

    public Integer getEmploymentMonths() {
        return employmentMonths;
    }

    public Applicant setEmploymentMonths(Integer value) {
        this.employmentMonths = value;
        return this;
    }

    public String getHousing() {
        return housing;
    }

    public Applicant setHousing(String value) {
        this.housing = value;
        return this;
    }

    public Integer getAge() {
        return age;
    }

    public Applicant setAge(Integer value) {
        this.age = value;
        return this;
    }

    public Integer getKycLevel() {
        return kycLevel;
    }

    public Applicant setKycLevel(Integer value) {
        this.kycLevel = value;
        return this;
    }

    public boolean isDeviceRooted() {
        return deviceRooted;
    }

    public Applicant setDeviceRooted(boolean value) {
        this.deviceRooted = value;
        return this;
    }

    public boolean isDeviceEmulator() {
        return deviceEmulator;
    }

    public Applicant setDeviceEmulator(boolean value) {
        this.deviceEmulator = value;
        return this;
    }

    public boolean isIpProxy() {
        return ipProxy;
    }

    public Applicant setIpProxy(boolean value) {
        this.ipProxy = value;
        return this;
    }

    public String getIpCountry() {
        return ipCountry;
    }

    public Applicant setIpCountry(String value) {
        this.ipCountry = value;
        return this;
    }

    public int getAccountAgeDays() {
        return accountAgeDays;
    }

    public Applicant setAccountAgeDays(int value) {
        this.accountAgeDays = value;
        return this;
    }

    public int getPhoneMonths() {
        return phoneMonths;
    }

    public Applicant setPhoneMonths(int value) {
        this.phoneMonths = value;
        return this;
    }
}
