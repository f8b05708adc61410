// These tests change the guest's driver bindings and SR-IOV state: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
