package dev.mmcheck.mm.paths;

import dev.mmcheck.mm.Kernel;
import dev.mmcheck.mm.Mirrors;
import dev.mmcheck.mm.types.AddressSpace;
import dev.mmcheck.mm.types.Page;
import dev.mmcheck.mm.types.PageFlags;

/**
 * mm/migrate.c (3.16): moving a page's contents to a new page, one pass. The old page is locked
 * throughout; its ptes become migration entries (VM_LOCKED is ignored), the page cache slot moves
 * to the new page, PG_mlocked moves with it (mlock_migrate_page), and the entries become ptes of
 * the new page. The page lock is why mlock_vma_page must hold it: an mlock of the old page after
 * mlock_migrate_page would leave the old page mlocked when it is freed.
 */
public final class Migrate {
    private static final int SUCCESS = 0;
    private static final int EAGAIN = -11;
    private final Kernel k;

    public Migrate(Kernel k) {
        this.k = k;
    }

    /**
     * What compaction (or alloc_contig_range, memory hot-remove) does with one page it chose:
     * isolate it, then migrate it. Compaction takes mlocked pages from 4.0 on; before, only the
     * other two callers did.
     */
    public void migratePage(Page page) {
        if (!k.vmscan.isolateLruPages(page, true)) {
            return;
        }
        unmapAndMove(page);
    }

    @Mirrors(value = "unmap_and_move", file = "mm/migrate.c", version = "3.16")
    void unmapAndMove(Page page) {
        Page newpage = k.pageAlloc.allocPage();
        int rc = unmapAndMoveLocked(page, newpage);
        k.vmscan.putbackLruPage(page);
        if (rc != SUCCESS) {
            k.swapC.putPage(newpage);
        } else {
            k.vmscan.putbackLruPage(newpage);
        }
    }

    @Mirrors(value = "__unmap_and_move", file = "mm/migrate.c", version = "3.16")
    int unmapAndMoveLocked(Page page, Page newpage) {
        if (!page.trylock()) {
            page.lock();
        }
        int rc = EAGAIN;
        boolean wasMapped = false;
        if (page.readMapping() != 0) {
            wasMapped = page.mapped();
            if (wasMapped) {
                k.rmap.tryToUnmap(page, Rmap.TTU_MIGRATION | Rmap.TTU_IGNORE_MLOCK);
            }
            if (!page.mapped()) {
                rc = moveToNewPage(newpage, page, wasMapped);
            }
        }
        if (rc != SUCCESS && wasMapped) {
            k.rmap.removeMigrationPtes(page, page);
        }
        page.unlock();
        return rc;
    }

    @Mirrors(value = "move_to_new_page", file = "mm/migrate.c", version = "3.16")
    int moveToNewPage(Page newpage, Page page, boolean remap) {
        newpage.trylock();
        k.step("newpage->index = page->index; newpage->mapping = page->mapping", null, m -> {
            m.write(newpage.index, m.read(page.index));
            m.write(newpage.mapping, m.read(page.mapping));
            if (page.test(m, PageFlags.PG_swapbacked)) {
                newpage.set(m, PageFlags.bit(PageFlags.PG_swapbacked));
            }
            return 0;
        });
        int rc = migratePageMoveMapping(newpage, page);
        if (rc == SUCCESS) {
            migratePageCopy(newpage, page);
            if (remap) {
                k.rmap.removeMigrationPtes(page, newpage);
            }
            k.step("page->mapping = NULL", null, m -> {
                m.write(page.mapping, 0);
                return 0;
            });
        } else {
            k.step("newpage->mapping = NULL", null, m -> {
                m.write(newpage.mapping, 0);
                return 0;
            });
        }
        newpage.unlock();
        return rc;
    }

    /** migrate_page_move_mapping: only the expected references (isolation, page cache); the cache slot moves. */
    @Mirrors(value = "migrate_page_move_mapping", file = "mm/migrate.c", version = "3.16")
    int migratePageMoveMapping(Page newpage, Page page) {
        return (int) k.load("migrate_page_move_mapping(" + page.name() + " -> " + newpage.name() + ")", m -> {
            long mapping = m.read(page.mapping);
            boolean file = (mapping & Page.MAPPING_FILE) != 0;
            long expected = file ? 2 : 1;
            if (m.read(page.refcount) != expected) {
                return EAGAIN;
            }
            if (file) {
                AddressSpace as = k.file((int) (mapping & ~Page.MAPPING_FILE) - 1);
                int slot = as.pageCache[(int) m.read(page.index)];
                if (m.read(slot) != page.pfn + 1) {
                    return EAGAIN;
                }
                m.write(slot, newpage.pfn + 1);
                m.write(newpage.refcount, m.read(newpage.refcount) + 1);
                m.write(page.refcount, expected - 1);
            }
            return SUCCESS;
        }, r -> r == SUCCESS ? "moved" : "-EAGAIN");
    }

    /** migrate_page_copy: contents and flags, then mlock_migrate_page as its own step (the page lock orders it). */
    @Mirrors(value = "migrate_page_copy", file = "mm/migrate.c", version = "3.16")
    void migratePageCopy(Page newpage, Page page) {
        k.step("migrate_page_copy(" + page.name() + " -> " + newpage.name() + ")", null, m -> {
            long copied = PageFlags.bit(PageFlags.PG_uptodate) | PageFlags.bit(PageFlags.PG_dirty)
                    | PageFlags.bit(PageFlags.PG_active) | PageFlags.bit(PageFlags.PG_unevictable);
            long f = page.flags(m, copied);
            long nf = newpage.flags(m, copied) | (f & (PageFlags.bit(PageFlags.PG_uptodate) | PageFlags.bit(PageFlags.PG_dirty)));
            if ((f & PageFlags.bit(PageFlags.PG_active)) != 0) {
                f &= ~PageFlags.bit(PageFlags.PG_active);
                nf |= PageFlags.bit(PageFlags.PG_active);
            } else if ((f & PageFlags.bit(PageFlags.PG_unevictable)) != 0) {
                f &= ~PageFlags.bit(PageFlags.PG_unevictable);
                nf |= PageFlags.bit(PageFlags.PG_unevictable);
            }
            page.write(m, copied, f & ~PageFlags.bit(PageFlags.PG_dirty));
            newpage.write(m, copied, nf);
            return 0;
        });
        mlockMigratePage(newpage, page);
    }

    /** mlock_migrate_page: PG_mlocked moves to the new page. */
    @Mirrors(value = "mlock_migrate_page", file = "mm/internal.h", version = "3.16")
    void mlockMigratePage(Page newpage, Page page) {
        k.step("if (TestClearPageMlocked(" + page.name() + ")) SetPageMlocked(" + newpage.name() + ")", null, m -> {
            if (page.test(m, PageFlags.PG_mlocked)) {
                page.clear(m, PageFlags.bit(PageFlags.PG_mlocked));
                newpage.set(m, PageFlags.bit(PageFlags.PG_mlocked));
            }
            return 0;
        });
    }
}
