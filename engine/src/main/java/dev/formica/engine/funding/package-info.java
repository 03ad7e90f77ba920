/**
 * Joint-lending funding: who funds each loan ({@link dev.formica.engine.funding.FundingAllocator} into a reused
 * {@link dev.formica.engine.funding.FundingAllocation}), against the partners' origination quotas and the
 * platform's leverage room kept in one persisted, lock-free table shared by all shards
 * ({@link dev.formica.engine.funding.FundingQuotas}). Configuration: {@link dev.formica.engine.funding.FunderSpec},
 * {@link dev.formica.engine.funding.ProductFunding}. See docs/pricing-and-funding.md.
 */
package dev.formica.engine.funding;
