package harmonize
import ("context";"fmt";"testing";"database/sql";"strings";"regexp")
func BenchmarkProbe(b *testing.B){
 e:=benchSurvey(b, 1_000_000)
 ctx:=context.Background()
 e.Store.WithTx(ctx, func(tx *sql.Tx) error{
  p,err:=newPlan(ctx,tx,e.Config,e.Codebook); if err!=nil{b.Fatal(err)}
  q:=p.respondentsQuery()
  re:=regexp.MustCompile(`replace\(("[a-z0-9]+"), ',', '.'\)`)
  v1:=re.ReplaceAllString(q,"$1")
  i:=strings.Index(q,", CASE WHEN coalesce(")
  _ = i
  var noBad []string
  for _,part:=range strings.Split(q," AS _h_bad") { noBad=append(noBad,part) }
  var vals []string
  for k:=range p.cb.Variables{ c:=p.cell(k); vals=append(vals,c.value()+" AS "+c.col("x")) }
  v3:="SELECT "+strings.Join(vals,", ")+" FROM ("+p.cells(p.all())+")"
  var ns []string
  for k:=range p.cb.Variables{ c:=p.cell(k); if c.parsed(){ns=append(ns,c.col("n"))} else {ns=append(ns,c.col("t"))} }
  v4:="SELECT "+strings.Join(ns,", ")+" FROM ("+p.cells(p.all())+")"
  v5:="SELECT * FROM raw_bench"
  for name,v:=range map[string]string{"asis":q,"nocomma":v1,"values":v3,"parsed":v4,"copy":v5,"values-nocomma":re.ReplaceAllString(v3,"$1"),"parsed-nocomma":re.ReplaceAllString(v4,"$1")}{
   for r:=0;r<2;r++{
   t0:=cpuSeconds(b); if _,err:=tx.ExecContext(ctx,"CREATE OR REPLACE TEMP TABLE zz AS "+v);err!=nil{b.Fatal(err)}; fmt.Printf("%-15s %6.2f cpu-s\n", name, cpuSeconds(b)-t0)}
  }
  return nil})
}
