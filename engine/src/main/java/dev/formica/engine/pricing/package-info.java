/**
 * Pricing and disclosure: the APR band per grade ({@link dev.formica.engine.pricing.AprBand}), fees
 * ({@link dev.formica.engine.pricing.FeeSpec}) and exact equal-installment plans with their annualised rate
 * ({@link dev.formica.engine.pricing.InstallmentPlanner} into {@link dev.formica.engine.pricing.InstallmentSchedule}).
 * Money is {@code long} minor units throughout; rates are basis points. See docs/pricing-and-funding.md.
 */
package dev.formica.engine.pricing;
