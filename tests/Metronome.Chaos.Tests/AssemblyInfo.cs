// Every chaos test runs three server processes and a PostgreSQL on a 2-core machine: one test at a time keeps the faults
// the only disturbance, and the suite's wall time predictable (about 5 minutes).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
